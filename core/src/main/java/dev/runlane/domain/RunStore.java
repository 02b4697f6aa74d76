package dev.runlane.domain;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The runs and their events, as stored. Reads are strongly consistent. */
public interface RunStore {

    Optional<Run> find(String runId);

    /** Stores a new run unless one with its id exists; either way returns the run as stored. */
    Created create(Run run);

    record Created(Run run, boolean created) {
    }

    /** Stores the run's input (JSON text) apart from its status item; repeating it is harmless. */
    void storeInput(String runId, String input, Instant at);

    /** The run's input and, once an attempt recorded it, its output. */
    RunPayloads payloads(String runId);

    /**
     * How many of the thread's runs have not ended (QUEUED or RUNNING), counting up to {@code atMost}.
     * Derived from the runs' own status, never from a counter a crash could leave wrong.
     */
    int countUnfinished(String threadId, int atMost);

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
     * The gate started the run's execution and holds its thread with this receipt: the run is RUNNING,
     * at this queue position if it had none yet. Empty when the run is already terminal (then nothing
     * is written).
     */
    Optional<Run> markRunning(String runId, String executionArn, String receiptHandle, String queuePosition);

    /**
     * Makes a run terminal if it is QUEUED, or also RUNNING unless {@code onlyIfQueued}; false when it
     * was not (then nothing is written).
     */
    boolean finish(String runId, RunStatus status, RunError error, Instant at, boolean onlyIfQueued);

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
