package dev.runlane.daemon;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A frame from the daemon's channel: a run to start (with its input) or to cancel.
 * {@code kind} is kept as text so that a frame of an unknown kind can be logged and acknowledged.
 */
public record Frame(String frameId, String kind, String runId, String threadId, long fenceToken, JsonNode input,
                    String createdAt) {

    public static final String START = "start";
    public static final String CANCEL = "cancel";

    public RunRef run() {
        return new RunRef(runId, threadId, fenceToken);
    }

    /** Reads one frame; a frame without an id cannot even be acknowledged and is refused by the caller. */
    static Frame of(JsonNode node) {
        JsonNode token = node.path("fenceToken");
        return new Frame(
                text(node, "frameId"),
                text(node, "kind"),
                text(node, "runId"),
                text(node, "threadId"),
                token.canConvertToLong() && token.isIntegralNumber() ? token.asLong() : -1,
                node.hasNonNull("input") ? node.get("input") : null,
                text(node, "createdAt"));
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }
}
