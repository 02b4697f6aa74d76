package dev.runlane.daemon;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A frame from the daemon's channel: a run to start (with its input and the stack's heartbeat window, 0 when
 * the server names none) or to cancel.
 * {@code kind} is kept as text so that a frame of an unknown kind can be logged and acknowledged.
 * {@code epoch} names the backend that issued the fence token (it changes when the backend is reset or deployed
 * again): {@link FenceBook#NO_EPOCH} when the frame has none (a server from before epochs), null when it is
 * there but not a string.
 */
public record Frame(String frameId, String kind, String runId, String threadId, String epoch, long fenceToken,
                    JsonNode input, int heartbeatSeconds, String createdAt) {

    public static final String START = "start";
    public static final String CANCEL = "cancel";

    public RunRef run() {
        return new RunRef(runId, threadId, fenceToken);
    }

    /** Reads one frame; a frame without an id cannot even be acknowledged and is refused by the caller. */
    static Frame of(JsonNode node) {
        JsonNode token = node.path("fenceToken");
        JsonNode epoch = node.path("epoch");
        JsonNode heartbeat = node.path("heartbeatSeconds");
        return new Frame(
                text(node, "frameId"),
                text(node, "kind"),
                text(node, "runId"),
                text(node, "threadId"),
                epoch.isMissingNode() || epoch.isNull() ? FenceBook.NO_EPOCH : text(node, "epoch"),
                token.canConvertToLong() && token.isIntegralNumber() ? token.asLong() : -1,
                node.hasNonNull("input") ? node.get("input") : null,
                heartbeat.canConvertToInt() && heartbeat.isIntegralNumber() && heartbeat.asInt() > 0 ? heartbeat.asInt() : 0,
                text(node, "createdAt"));
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }
}
