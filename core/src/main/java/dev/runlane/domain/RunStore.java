package dev.runlane.domain;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The runs and their events, as stored. Reads are strongly consistent. */
public interface RunStore {

    Optional<Run> find(String runId);

    /**
     * Stores a new run unless one with its id exists; either way returns the run as stored. Empty when
     * the run is new and its thread already has {@code threadCap} unfinished runs (then nothing is
     * stored). The thread's count of unfinished runs changes in the same write as a run's creation and
     * its end, so concurrent starts cannot pass the cap and a crash cannot leave the count wrong.
     */
    Optional<Created> create(Run run, int threadCap);

    record Created(Run run, boolean created) {
    }

    /** Stores the run's input (JSON text) apart from its status item; repeating it is harmless. */
    void storeInput(String runId, String input, Instant at);

    /** The run's input and, once an attempt recorded it, its output. */
    RunPayloads payloads(String runId);

    /**
     * The thread's runs that have not ended (QUEUED or RUNNING), read strongly, in no particular
     * order. The index that finds them may not list a run created a moment ago.
     */
    List<Run> unfinished(String threadId);

    /** The thread's runs enqueued before this queue position, newest first. */
    Page<Run> enqueuedBefore(String threadId, String queuePosition, int limit, String cursor);

    /** The thread's most recently enqueued run. */
    Optional<Run> newest(String threadId);

    /** Records the run's place in its thread's queue (first writer wins). */
    void recordQueueSeq(String runId, String queueSeq);

    /** A thread's runs in queue order. */
    Page<Run> listByThread(String threadId, int limit, String cursor);

    /**
     * The gate admits the head of its thread: in one write the run becomes RUNNING (its execution's ARN,
     * the receipt that holds the thread, its queue position) and the thread records it as admitted.
     * Only while the run is QUEUED and not past its deadline, and the thread is not paused, has not
     * superseded it and has not cancelled its queue since the run was created; false when any of these
     * fails (then nothing is written: read both again and decide). The run's execution starts after.
     */
    boolean admit(Run run, String queuePosition, String executionArn, String receiptHandle, Instant at);

    /**
     * A running run's thread message was received again: stores the newest receipt that holds it. Empty
     * when the run has ended (then nothing is written).
     */
    Optional<Run> markRunning(String runId, String executionArn, String receiptHandle, String queuePosition);

    /** Counts a write refused by the fence (diagnostics; not fenced itself). */
    void countStaleWrite(String runId);

    /** A run's accepted events in the order they were written. */
    Page<RunEvent> events(String runId, int limit, String cursor);

    /**
     * A run's events after the cursor ({@code after} null: from the first); the page's cursor is its
     * last event's, or {@code after} when there is none yet, so a caller can always ask for what follows.
     */
    Page<RunEvent> eventsAfter(String runId, String after, int limit);
}
