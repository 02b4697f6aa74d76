package dev.runlane.runs;

import dev.runlane.domain.Frame;
import dev.runlane.domain.Frames;
import dev.runlane.domain.Run;
import dev.runlane.domain.Target;
import dev.runlane.domain.Workflow;

import java.time.Clock;
import java.util.Optional;

/**
 * Cancels a run the way {@code POST /runs/{runId}/cancel} does: it ends at once, its attempts are
 * fenced out, its execution is stopped, its daemon is told, and its thread moves on.
 */
public class Cancellation {
    private final Finalizer finalizer;
    private final Workflow workflow;
    private final Frames frames;
    private final Clock clock;

    public Cancellation(Finalizer finalizer, Workflow workflow, Frames frames, Clock clock) {
        this.finalizer = finalizer;
        this.workflow = workflow;
        this.frames = frames;
        this.clock = clock;
    }

    /**
     * Ends the run with this (cancelled) outcome unless it has ended, or, with {@code onlyIfQueued},
     * unless it is no longer queued. Returns whether this call ended it.
     */
    public boolean cancel(String runId, Outcome outcome, boolean onlyIfQueued) {
        Finalizer.Finished finished = onlyIfQueued ? finalizer.finishQueued(runId, outcome)
                : finalizer.finish(runId, Optional.of(outcome));
        if (!finished.endedNow()) {
            return false;
        }
        Run run = finished.run();
        // A run without an execution ARN was never marked RUNNING: if the gate is starting its
        // execution right now, its mark fails and the gate stops that execution itself.
        if (run.executionArn() != null) {
            workflow.stop(runId, "RunCancelled", outcome.error().message());
        }
        if (run.target() == Target.DESKTOP && run.fenceToken() != null) {
            frames.send(Frame.cancel(run.daemonId(), runId, run.threadId(), run.fenceToken(), clock.instant()));
        }
        return true;
    }
}
