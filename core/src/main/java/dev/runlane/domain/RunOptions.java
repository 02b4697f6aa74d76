package dev.runlane.domain;

import java.time.Instant;

/**
 * How a run was started: its busy policy, the deadline by which it must have started (null: none),
 * and the run it reruns (null: none).
 */
public record RunOptions(BusyPolicy onBusy, Instant expiresAt, String rerunOf) {
    public static final RunOptions NONE = new RunOptions(BusyPolicy.QUEUE, null, null);

    public RunOptions {
        onBusy = onBusy == null ? BusyPolicy.QUEUE : onBusy;
    }

    /** A queued run past its deadline never executes. */
    public boolean hasExpired(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }
}
