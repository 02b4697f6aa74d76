package dev.runlane.domain;

/**
 * An attempt was refused by the fence: a newer attempt (or a cancel, or the reaper) took the thread's
 * fence, or its run has ended. The attempt must stop; it is never retried and never decides the
 * run's outcome.
 */
public class StaleAttemptException extends RuntimeException {
    public StaleAttemptException(String runId, long token) {
        super("attempt of run " + runId + " with fence token " + token + " is stale: a newer token exists");
    }

    public StaleAttemptException(String message) {
        super(message);
    }
}
