package dev.runlane.domain;

import java.time.Instant;

/** A message for a desktop daemon (a run to start, or to cancel). {@code input} is JSON text. */
public record Frame(String daemonId, String kind, String runId, String threadId, long fenceToken,
                    String taskToken, String input, Instant createdAt) {

    public static Frame start(String daemonId, String runId, String threadId, long fenceToken, String taskToken,
                              String input, Instant now) {
        return new Frame(daemonId, "start", runId, threadId, fenceToken, taskToken, input, now);
    }
}
