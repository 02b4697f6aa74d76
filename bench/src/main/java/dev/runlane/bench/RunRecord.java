package dev.runlane.bench;

import java.time.Instant;

/**
 * One run as the bench saw it: submitted by the client, then read back from the runs table and its
 * execution history. Times are those the stack recorded (createdAt, startedAt = the attempt's start,
 * finishedAt) and the history's (execution start, the dispatch task's end).
 */
final class RunRecord {
    final String threadId;
    final int index;
    final String target;
    String runId;
    double apiMs;
    String status;
    int attempts;
    String executionArn;
    Instant createdAt;
    Instant startedAt;
    Instant finishedAt;
    Instant executionStartedAt;
    Instant agentEndedAt;
    int transitions;

    RunRecord(String threadId, int index, String target) {
        this.threadId = threadId;
        this.index = index;
        this.target = target;
    }

    boolean ended() {
        return status != null && !status.equals("QUEUED") && !status.equals("RUNNING");
    }

    static double millis(Instant from, Instant to) {
        return from == null || to == null ? Double.NaN : (to.toEpochMilli() - from.toEpochMilli());
    }
}
