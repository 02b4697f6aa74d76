package dev.runlane.domain;

import java.time.Instant;

/**
 * A thread's controls, as stored: whether it is paused (since when), the receipt of the head message
 * the gate held while it was paused, the queue position below which runs were superseded by a
 * {@code cancel-others} start, the run the gate admitted last (with its position), and the time up to
 * which every run created was cancelled with the thread's queue. None of them can block a thread: resume
 * releases the head, a superseded or cancelled run is one its user asked to cancel, and the admitted run
 * is only read, by a {@code cancel-others} start. {@code activeAt} is the thread's last admission, pause
 * or resume: what orders the recent threads.
 */
public record ThreadState(String threadId, boolean paused, Instant pausedAt, String heldReceipt, String supersededBefore,
                          String admittedRun, String admittedPosition, Instant activeAt, Instant cancelledBefore) {

    public static ThreadState idle(String threadId) {
        return new ThreadState(threadId, false, null, null, null, null, null, null, null);
    }

    /** Whether the run at this queue position was superseded by a later {@code cancel-others} start. */
    public boolean supersedes(String queuePosition) {
        return supersededBefore != null && queuePosition != null && queuePosition.compareTo(supersededBefore) < 0;
    }

    /** Whether a run created at this time was cancelled with the thread's queue, whether or not that cancel saw it. */
    public boolean cancelled(Instant createdAt) {
        return cancelledBefore != null && createdAt != null && !createdAt.isAfter(cancelledBefore);
    }
}
