package dev.runlane.domain;

import java.time.Instant;

/**
 * One agent run on a thread: its status item, as stored. Its input and output are kept apart
 * ({@link RunPayloads}), so a status update costs the same whatever their size.
 * {@code queueSeq} is the FIFO sequence number the run got when enqueued: its place in the thread.
 * {@code receiptHandle} is the newest receipt of the thread message that holds the thread for it.
 * {@code taskToken} is the desktop dispatch's Step Functions task token, which daemon reports complete.
 * {@code options} are how it was started (busy policy, deadline, the run it reruns).
 */
public record Run(
        String runId,
        String threadId,
        Target target,
        String daemonId,
        RunStatus status,
        int attempts,
        Long fenceToken,
        String executionArn,
        RunError error,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        String queueSeq,
        String receiptHandle,
        String requestHash,
        long staleWrites,
        String taskToken,
        RunOptions options) {

    public Run {
        options = options == null ? RunOptions.NONE : options;
    }

    public static Run queued(String runId, String threadId, Target target, String daemonId, String requestHash,
                             Instant now) {
        return queued(runId, threadId, target, daemonId, requestHash, RunOptions.NONE, now);
    }

    public static Run queued(String runId, String threadId, Target target, String daemonId, String requestHash,
                             RunOptions options, Instant now) {
        return new Run(runId, threadId, target, daemonId, RunStatus.QUEUED, 0, null, null, null,
                now, null, null, null, null, requestHash, 0, null, options);
    }

    public boolean isTerminal() {
        return status.isTerminal();
    }

    public Run withQueueSeq(String seq) {
        return new Run(runId, threadId, target, daemonId, status, attempts, fenceToken, executionArn, error,
                createdAt, startedAt, finishedAt, seq, receiptHandle, requestHash, staleWrites, taskToken, options);
    }
}
