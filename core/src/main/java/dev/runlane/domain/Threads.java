package dev.runlane.domain;

import java.time.Instant;
import java.util.Optional;

/** The threads' controls (pause, supersede), one strongly consistent item per thread. */
public interface Threads {

    /** The thread's controls; an unknown thread is idle. */
    ThreadState find(String threadId);

    /** The threads most recently active first (admitted a run, paused or resumed); {@code cursor} from the previous page. */
    Page<ThreadState> recent(int limit, String cursor);

    /** Pauses the thread (repeating it keeps the first pausedAt); returns its state. */
    ThreadState pause(String threadId, Instant at);

    /**
     * Resumes the thread; returns the receipt of the head message held while it was paused, if any.
     * The receipt stays on the thread, so that a resume whose release failed can be repeated.
     */
    Optional<String> resume(String threadId, Instant at);

    /**
     * Records the receipt of the head message the gate holds for a paused thread. False when the
     * thread is no longer paused (then nothing is written and the head must be admitted).
     */
    boolean holdWhilePaused(String threadId, String receiptHandle);

    /**
     * Every run of the thread enqueued before this queue position is superseded (the marker only
     * grows); returns the thread as it is after the write. The gate's admission and this write touch
     * one item: whichever comes second sees the other (the admission is refused, or this write returns
     * the admitted run for its caller to cancel).
     */
    ThreadState supersedeBefore(String threadId, String queuePosition);

    /**
     * Every run of the thread created up to {@code at} is cancelled with its queue (the marker only
     * grows): the gate ends such a run when it reaches the head, so a run the listing of unfinished runs
     * did not show yet is cancelled too.
     */
    void cancelQueueBefore(String threadId, Instant at);
}
