package dev.runlane.domain;

import java.time.Instant;

/**
 * The thread fence. Every attempt takes a new, larger token; each write it makes succeeds only while
 * that token is still the thread's newest, else it throws {@link StaleAttemptException}.
 * The fence never blocks or waits: the newest attempt always wins.
 */
public interface Fence {

    /** Takes the thread's next token for an attempt of this run (unconditional). */
    long acquire(String threadId, String runId);

    /**
     * Takes a new token so that the run's attempts are fenced out, but only while the newest token
     * belongs to this run: a later run of the thread is never fenced by an earlier one ending.
     */
    void fenceOut(String threadId, String runId);

    /** Starts an attempt with its token: the run is RUNNING and counts one more attempt. Returns the attempt number. */
    int beginAttempt(String threadId, String runId, long token, Instant at);

    /** Records an event of the attempt holding this token. */
    void append(String threadId, RunEvent event);

    /** Leaves a desktop run's start frame, and keeps the task token its daemon's reports complete. */
    void sendStart(String threadId, Frame start, String taskToken);

    /** Checks that this token is still the thread's newest, else throws {@link StaleAttemptException}. */
    void confirm(String threadId, String runId, long token);
}
