package dev.runlane.runs;

import dev.runlane.domain.Frame;
import dev.runlane.domain.Frames;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Target;
import dev.runlane.domain.Workflow;

import java.time.Clock;
import java.util.Optional;

/**
 * Cancels a run the way {@code POST /runs/{runId}/cancel} does: it ends at once with its attempts
 * fenced out (one write), its execution is stopped, its daemon is told, and only then does its thread
 * move on, so the thread's next run never starts beside a cancelled execution. Every step after the
 * first is safe to repeat: {@link #complete} redoes them for a cancel that a crash or an error cut short.
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
     * unless it is no longer queued, then completes the steps after its end. A run already CANCELLED
     * has those steps done again: a repeat of a cancel that was cut short finishes it. Returns whether
     * this call ended the run.
     */
    public boolean cancel(String runId, Outcome outcome, boolean onlyIfQueued) {
        Finalizer.Finished finished = finalizer.end(runId, Optional.of(outcome), onlyIfQueued);
        if (finished.run() != null && finished.run().status() == RunStatus.CANCELLED) {
            complete(finished.run());
        }
        return finished.endedNow();
    }

    /** The steps after the end of a run ended by request (cancelled, expired): stop its execution, tell its daemon, free its thread. */
    private void complete(Run cancelled) {
        // A run admitted by the gate has its execution's ARN even if the execution has not started yet:
        // the gate stops what it starts for a run that has ended.
        if (cancelled.executionArn() != null) {
            workflow.stop(cancelled.runId(), "RunCancelled", cancelled.error() == null ? "cancelled" : cancelled.error().message());
        }
        if (cancelled.target() == Target.DESKTOP && cancelled.fenceToken() != null) {
            frames.send(Frame.cancel(cancelled.daemonId(), cancelled.runId(), cancelled.threadId(), cancelled.fenceToken(),
                    clock.instant()));
        }
        finalizer.release(cancelled);
    }
}
