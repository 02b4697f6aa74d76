package dev.runlane.runs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runlane.domain.BusyPolicy;
import dev.runlane.domain.RefusedException;
import dev.runlane.domain.RunOptions;

import java.time.Instant;

/**
 * The options of a start or a rerun: {@code "onBusy": "queue" | "cancel-others" | "reject"} (default
 * queue) and {@code "expiresInSeconds": N}, the most a run may wait queued before it ends EXPIRED.
 */
public record StartOptions(BusyPolicy onBusy, Integer expiresInSeconds) {
    /** SQS keeps a message 14 days (MessageRetentionPeriod): no run waits longer. */
    public static final int MAX_EXPIRES_IN_SECONDS = 1_209_600;
    public static final StartOptions DEFAULT = new StartOptions(BusyPolicy.QUEUE, null);

    /** Reads the options from a body whose other fields the caller checks. */
    static StartOptions of(JsonNode body) {
        BusyPolicy onBusy = BusyPolicy.QUEUE;
        JsonNode onBusyNode = body.get("onBusy");
        if (onBusyNode != null) {
            onBusy = BusyPolicy.fromWire(onBusyNode.isTextual() ? onBusyNode.asText() : "").orElseThrow(() ->
                    RefusedException.invalid("InvalidOnBusy", "onBusy must be \"queue\", \"cancel-others\" or \"reject\""));
        }
        Integer expires = null;
        JsonNode expiresNode = body.get("expiresInSeconds");
        if (expiresNode != null) {
            if (!expiresNode.canConvertToInt() || !expiresNode.isIntegralNumber()
                    || expiresNode.intValue() < 1 || expiresNode.intValue() > MAX_EXPIRES_IN_SECONDS) {
                throw RefusedException.invalid("InvalidExpiresInSeconds",
                        "expiresInSeconds must be a whole number from 1 to " + MAX_EXPIRES_IN_SECONDS + " (14 days)");
            }
            expires = expiresNode.intValue();
        }
        return new StartOptions(onBusy, expires);
    }

    RunOptions toRunOptions(Instant now, String rerunOf) {
        return new RunOptions(onBusy, expiresInSeconds == null ? null : now.plusSeconds(expiresInSeconds), rerunOf);
    }
}
