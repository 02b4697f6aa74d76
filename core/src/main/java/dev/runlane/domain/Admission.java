package dev.runlane.domain;

import java.time.Instant;
import java.util.Optional;

/**
 * What the gate does with a queued run that reached the head of its thread: every run enqueued
 * before it is terminal now. Pure decisions, so they are tested on their own.
 */
public final class Admission {

    public enum Decision { START, EXPIRE, SUPERSEDE, CANCEL, HOLD_PAUSED }

    private Admission() {
    }

    /**
     * A run past its deadline never executes, even on a paused thread; one superseded by a later
     * {@code cancel-others} start, or created before a cancel of its thread's queue, is cancelled; a
     * paused thread starts nothing. The gate's admitting write checks the same conditions again, so a
     * pause, supersede or deadline that lands after this read still wins.
     */
    public static Decision decide(Run run, String queuePosition, ThreadState thread, Instant now) {
        if (run.options().hasExpired(now)) {
            return Decision.EXPIRE;
        }
        if (thread.supersedes(queuePosition)) {
            return Decision.SUPERSEDE;
        }
        if (thread.cancelled(run.createdAt())) {
            return Decision.CANCEL;
        }
        return thread.paused() ? Decision.HOLD_PAUSED : Decision.START;
    }

    /**
     * Whether the thread was busy when {@code run} was enqueued, read from the runs enqueued before it,
     * newest first, one page at a time. A run that was admitted (it has an execution) ended before
     * anything after it started, so once one ended before {@code run} was created, every earlier one
     * did too. Empty: this page does not decide, read the next one (none left: the thread was idle).
     */
    public static Optional<Boolean> busyAtEnqueue(Run run, Iterable<Run> earlierNewestFirst) {
        for (Run earlier : earlierNewestFirst) {
            if (earlier.executionArn() == null && earlier.options().hasExpired(run.createdAt())) {
                continue; // past its deadline when this run was created: it was not keeping the thread busy
            }
            if (!earlier.isTerminal() || earlier.finishedAt() == null || earlier.finishedAt().isAfter(run.createdAt())) {
                return Optional.of(true);
            }
            if (earlier.executionArn() != null) {
                return Optional.of(false);
            }
        }
        return Optional.empty();
    }
}
