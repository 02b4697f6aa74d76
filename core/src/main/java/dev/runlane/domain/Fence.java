package dev.runlane.domain;

import java.time.Instant;

/**
 * The thread fence (DESIGN.md, "The fence protocol"). Attempts are ordered by the orchestrator: an
 * attempt takes the thread's next token only if the token is held by another run or by an earlier
 * attempt of its own run, and only while its run has not ended. Every write it makes afterwards
 * succeeds only while that token is still the thread's newest, else it throws
 * {@link StaleAttemptException}. The fence never blocks or waits: the newest attempt always wins.
 * Only a failed fence condition means stale; conflicts, throttles and network errors are retried.
 */
public interface Fence {

    /**
     * Begins attempt {@code attempt} (1, 2, … as Step Functions numbers them) of the run: takes the
     * thread's next token and marks the run RUNNING with {@code attempts = attempt}. Returns the token.
     *
     * @throws StaleAttemptException for a late zombie of an earlier attempt (this or a later attempt
     *     of the run already took a token), and for any attempt of a run that has ended (a redrive)
     */
    long acquire(String threadId, String runId, int attempt, Instant at);

    /**
     * Ends the run: makes it terminal (if it is QUEUED, or also RUNNING unless {@code onlyIfQueued}) and,
     * in the same write, takes a new token if the newest belongs to this run, so its attempts are fenced
     * out from the moment it ends (a later run of the thread is never fenced by an earlier one ending).
     * False when the run was not in such a state (then nothing is written).
     */
    boolean end(String threadId, String runId, RunStatus status, RunError error, Instant at, boolean onlyIfQueued);

    /** Records an event of the attempt holding this token. */
    void append(String threadId, RunEvent event);

    /**
     * Records the run's output, written by the attempt holding this token, once: the same output again is
     * the same write retried (a no-op), another one throws {@link OutputRecordedException}.
     */
    void recordOutput(String threadId, String runId, long token, String output);

    /** Leaves a desktop run's start frame, and keeps the task token its daemon's reports complete. */
    void sendStart(String threadId, Frame start, String taskToken);

    /** Checks that this token is still the thread's newest, else throws {@link StaleAttemptException}. */
    void confirm(String threadId, String runId, long token);

    /**
     * This backend's identity: created once with the fence table, so a reset or redeployed backend
     * (whose tokens start again from 1) has another one. Daemons keep one token book per epoch.
     */
    String epoch();
}
