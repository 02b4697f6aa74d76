package dev.runlane.runs;

import dev.runlane.domain.RefusedException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runlane.domain.Target;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/**
 * A validated request to start a run:
 * {"target":"hosted"|"desktop","input":{…},"daemonId":"…","onBusy":"…","expiresInSeconds":N}.
 */
public record StartRequest(Target target, String daemonId, JsonNode input, StartOptions options) {

    public StartRequest(Target target, String daemonId, JsonNode input) {
        this(target, daemonId, input, StartOptions.DEFAULT);
    }

    /**
     * The largest start request. The input is stored apart from the execution (which carries ids), so
     * this bound comes from the stored output instead: the echo of the largest input must fit
     * {@link dev.runlane.domain.RunPayloads#MAX_OUTPUT_BYTES}.
     */
    public static final int MAX_BODY_BYTES = 262_144 - 1_024;

    /**
     * The largest input runlane stores, as it writes it: a number is kept exact but written in its canonical
     * form, which can be longer than sent ({@code 1e1} is stored as {@code 1E+1}), so a body within
     * {@link #MAX_BODY_BYTES} can hold an input that is not. Its echo must still fit a run's output.
     */
    public static final int MAX_INPUT_BYTES = MAX_BODY_BYTES;

    private static final Set<String> FIELDS = Set.of("target", "input", "daemonId", "onBusy", "expiresInSeconds");
    private static final Set<String> RERUN_FIELDS = Set.of("onBusy", "expiresInSeconds");

    public static StartRequest of(JsonNode body) {
        requireFields(body, FIELDS, "a run takes target, input, daemonId, onBusy and expiresInSeconds");
        JsonNode targetNode = body.get("target");
        if (targetNode == null || !targetNode.isTextual()) {
            throw RefusedException.invalid("InvalidTarget", "target is required: \"hosted\" or \"desktop\"");
        }
        Target target = Target.fromWire(targetNode.asText()).orElseThrow(() -> RefusedException.invalid(
                "InvalidTarget", "unknown target '" + targetNode.asText() + "': use \"hosted\" or \"desktop\""));
        JsonNode input = body.get("input");
        if (input == null || !input.isObject()) {
            throw RefusedException.invalid("InvalidInput", "input is required and must be a JSON object");
        }
        Json.requireFaithful(input, "input");
        JsonNode daemonNode = body.get("daemonId");
        String daemonId = null;
        if (target == Target.HOSTED && daemonNode != null) {
            throw RefusedException.invalid("InvalidDaemonId", "daemonId is only for desktop runs");
        }
        if (target == Target.DESKTOP) {
            if (daemonNode == null || !daemonNode.isTextual() || !RunIds.isValid(daemonNode.asText())) {
                throw RefusedException.invalid("InvalidDaemonId",
                        "desktop runs need a daemonId: " + RunIds.RULE);
            }
            daemonId = daemonNode.asText();
        }
        return new StartRequest(target, daemonId, input, StartOptions.of(body));
    }

    /**
     * The text of a run's input as it will be stored, checked against the limits that every later answer
     * carrying it fits (a start frame, the run, its echo as output): 413 {@code InputTooLarge} past
     * {@link #MAX_INPUT_BYTES}, 400 {@code NestingTooDeep} past {@link Json#MAX_DEPTH}.
     */
    public static String storable(String input) {
        int bytes = input.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_INPUT_BYTES) {
            throw new RefusedException(RefusedException.Kind.TOO_LARGE, "InputTooLarge", "the input is " + bytes
                    + " bytes as runlane stores it (numbers in canonical form); at most " + MAX_INPUT_BYTES);
        }
        int depth = Json.depth(input);
        if (depth > Json.MAX_DEPTH) {
            throw Json.tooDeep("input", depth);
        }
        return input;
    }

    /** The options of a rerun: an empty body, or one with onBusy and expiresInSeconds. */
    public static StartOptions rerunOptions(JsonNode body) {
        if (body == null || body.isMissingNode()) {
            return StartOptions.DEFAULT;
        }
        requireFields(body, RERUN_FIELDS, "a rerun takes onBusy and expiresInSeconds; its input and target are the original's");
        return StartOptions.of(body);
    }

    private static void requireFields(JsonNode body, Set<String> fields, String hint) {
        if (body == null || !body.isObject()) {
            throw RefusedException.invalid("InvalidBody", "the body must be a JSON object");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw RefusedException.invalid("UnknownField", "unknown field '" + name + "'; " + hint);
            }
        }
    }
}
