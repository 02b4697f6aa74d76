package dev.runlane.domain;

import java.time.Instant;

/**
 * A message for a desktop daemon: a run to start (with its input, JSON text, and the stack's heartbeat
 * window, after which a run its daemon stopped heartbeating is timed out) or to cancel. Frame ids sort by
 * the dispatcher's clock, read before a write that may be retried: frames can commit out of id order, so
 * delivery never depends on it (see {@link Frames#unacknowledged}).
 */
public record Frame(String frameId, String daemonId, Kind kind, String runId, String threadId, long fenceToken,
                    String input, int heartbeatSeconds, Instant createdAt) {

    public enum Kind { START, CANCEL }

    public static Frame start(String daemonId, String runId, String threadId, long fenceToken, String input,
                              int heartbeatSeconds, Instant now) {
        return new Frame(id(now, Kind.START, runId), daemonId, Kind.START, runId, threadId, fenceToken, input,
                heartbeatSeconds, now);
    }

    public static Frame cancel(String daemonId, String runId, String threadId, long fenceToken, Instant now) {
        return new Frame(id(now, Kind.CANCEL, runId), daemonId, Kind.CANCEL, runId, threadId, fenceToken, null, 0, now);
    }

    private static String id(Instant at, Kind kind, String runId) {
        return String.format("%013d-%s-%s", at.toEpochMilli(), kind.name().toLowerCase(java.util.Locale.ROOT), runId);
    }
}
