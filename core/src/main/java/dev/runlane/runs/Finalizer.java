package dev.runlane.runs;

import dev.runlane.domain.Fence;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.ThreadQueue;

import java.time.Clock;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Ends runs: the one way a run becomes terminal (from the workflow's Record steps, the reaper,
 * the gate and cancel). Every step is safe to repeat, so a retried or duplicate call is harmless.
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
     * fences out its attempts, then frees its thread (deletes its message).
     */
    public Finished finish(String runId, Optional<Outcome> outcome) {
        return finish(runId, outcome, false);
    }

    /** {@link #finish}, but a run that is not QUEUED (the gate may have just admitted it) is left as it is. */
    public Finished finishQueued(String runId, Outcome outcome) {
        return finish(runId, Optional.of(outcome), true);
    }

    private Finished finish(String runId, Optional<Outcome> outcome, boolean onlyIfQueued) {
        Optional<Run> found = runs.find(runId);
        if (found.isEmpty()) {
            LOG.warning(() -> "finish: no run " + runId);
            return new Finished(false, null);
        }
        Run run = found.get();
        boolean ended = outcome.isPresent() && !run.isTerminal()
                && runs.finish(runId, outcome.get().status(), outcome.get().error(), clock.instant(), onlyIfQueued);
        if (ended) {
            LOG.info(() -> "run " + runId + " of thread " + run.threadId() + " ended " + outcome.get().status());
        } else if (onlyIfQueued) {
            // Not queued any more: admitted meanwhile, its attempt must not be fenced out nor its thread released.
            Run now = runs.find(runId).orElse(run);
            if (!now.isTerminal()) {
                return new Finished(false, now);
            }
        }
        fence.fenceOut(run.threadId(), runId);
        // Re-read: the gate may have stored a newer receipt since; only the newest one is reliable.
        Run now = runs.find(runId).orElse(run);
        if (now.receiptHandle() != null) {
            queue.done(now.receiptHandle());
        }
        return new Finished(ended, now);
    }
}
