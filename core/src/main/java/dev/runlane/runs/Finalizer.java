package dev.runlane.runs;

import dev.runlane.domain.Fence;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.ThreadQueue;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Ends runs: the one way a run becomes terminal (from the workflow's Record steps, the reaper,
 * the gate and cancel). Ending is one write that also fences out the run's attempts; freeing the
 * thread comes after it, and every step is safe to repeat, so a retried or duplicate call finishes
 * what a crashed one left undone.
 */
public class Finalizer {
    private static final Logger LOG = Logger.getLogger(Finalizer.class.getName());

    private final RunStore runs;
    private final Fence fence;
    private final ThreadQueue queue;
    private final Clock clock;

    public Finalizer(RunStore runs, Fence fence, ThreadQueue queue, Clock clock) {
        this.runs = runs;
        this.fence = fence;
        this.queue = queue;
        this.clock = clock;
    }

    /** What {@link #finish} did: whether this call ended the run, and the run as it is now (null: no such run). */
    public record Finished(boolean endedNow, Run run) {
    }

    /**
     * Makes the run terminal with this outcome unless it already is (empty outcome: decide nothing),
     * fencing out its attempts in the same write, then frees its thread (deletes its message). For
     * callers that know the run's execution has ended (the reaper, the gate): a run that had ended
     * already is freed too.
     */
    public Finished finish(String runId, Optional<Outcome> outcome) {
        Finished finished = end(runId, outcome, false);
        if (finished.run() != null && finished.run().isTerminal()) {
            release(finished.run());
        }
        return finished;
    }

    /**
     * {@link #finish} for the workflow's own Record steps, whose execution still runs: frees the thread
     * only for a run that this outcome ended, now or in an earlier try of the step. A run ended otherwise
     * (a cancel) is freed by whoever ended it once its execution is stopped, or by the reaper once the
     * execution has ended, so the thread's next run never starts beside it.
     */
    public Finished record(String runId, Optional<Outcome> outcome) {
        Finished finished = end(runId, outcome, false);
        Run run = finished.run();
        if (run != null && run.isTerminal() && outcome.isPresent() && sameEnd(outcome.get(), run)) {
            release(run);
        }
        return finished;
    }

    private static boolean sameEnd(Outcome outcome, Run run) {
        return outcome.status() == run.status()
                && Objects.equals(outcome.error() == null ? null : outcome.error().code(), run.error() == null ? null : run.error().code());
    }

    /**
     * Ends the run as {@link #finish} does but leaves its thread held: the caller frees it with
     * {@link #release} once nothing of the run can still execute. With {@code onlyIfQueued} a run that
     * is not QUEUED (the gate may have just admitted it) is left as it is.
     */
    public Finished end(String runId, Optional<Outcome> outcome, boolean onlyIfQueued) {
        Optional<Run> found = runs.find(runId);
        if (found.isEmpty()) {
            LOG.warning(() -> "finish: no run " + runId);
            return new Finished(false, null);
        }
        Run run = found.get();
        boolean ended = outcome.isPresent() && !run.isTerminal() && fence.end(run.threadId(), runId,
                outcome.get().status(), outcome.get().error(), endTime(run, outcome.get(), clock.instant()), onlyIfQueued);
        if (ended) {
            LOG.info(() -> "run " + runId + " of thread " + run.threadId() + " ended " + outcome.get().status());
        }
        return new Finished(ended, ended || !run.isTerminal() ? runs.find(runId).orElse(run) : run);
    }

    /**
     * When the run ended: now, except for a run that expired, which ended at its deadline however late
     * the gate or a read noticed it (its {@code finishedAt} is its {@code expiresAt}).
     */
    static Instant endTime(Run run, Outcome outcome, Instant now) {
        Instant deadline = run.options().expiresAt();
        return outcome.status() == RunStatus.EXPIRED && deadline != null && deadline.isBefore(now) ? deadline : now;
    }

    /**
     * Frees an ended run's thread: deletes its message. The run must be as read once it had ended: the
     * gate stores no receipt on an ended run, so its receipt is the newest, the only reliable one.
     */
    public void release(Run ended) {
        if (ended.receiptHandle() != null) {
            queue.done(ended.receiptHandle());
        }
    }
}
