package dev.runlane.domain;

import java.time.Instant;

/**
 * A message for a desktop daemon: a run to start (with its input, JSON text) or to cancel. Frame ids
 * sort by creation time, so a daemon reads its frames in order with a cursor.
 */
public record Frame(String frameId, String daemonId, Kind kind, String runId, String threadId, long fenceToken,
                    String input, Instant createdAt) {

    public enum Kind { START, CANCEL }

    public static Frame start(String daemonId, String runId, String threadId, long fenceToken, String input, Instant now) {
        return new Frame(id(now, Kind.START, runId), daemonId, Kind.START, runId, threadId, fenceToken, input, now);
    }

    public static Frame cancel(String daemonId, String runId, String threadId, long fenceToken, Instant now) {
        return new Frame(id(now, Kind.CANCEL, runId), daemonId, Kind.CANCEL, runId, threadId, fenceToken, null, now);
    }

    private static String id(Instant at, Kind kind, String runId) {
        return String.format("%013d-%s-%s", at.toEpochMilli(), kind.name().toLowerCase(java.util.Locale.ROOT), runId);
    }
}
