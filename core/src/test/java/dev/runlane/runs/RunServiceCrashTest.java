package dev.runlane.runs;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.runlane.domain.BusyPolicy;
import dev.runlane.domain.RefusedException;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Target;
import dev.runlane.gate.Gate;
import dev.runlane.testing.InMemoryPorts;
import dev.runlane.testing.MovableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the run service leaves behind when a call fails or the process dies half-way (DESIGN.md, "Crash
 * consistency"), on the ports' contracts; the same promises are swept end to end by ChaosL_CrashPointSweepIT.
 */
class RunServiceCrashTest {
    private static final StartRequest ECHO = new StartRequest(Target.HOSTED, null, JsonNodeFactory.instance.objectNode());

    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-07T10:00:00Z"));
    private final InMemoryPorts ports = new InMemoryPorts();
    private final List<String> steps = new ArrayList<>();
    private boolean enqueueFails;
    private final InMemoryPorts.Queue queue = new InMemoryPorts.Queue() {
        @Override
        public String enqueue(String threadId, String runId) {
            if (enqueueFails) {
                throw new IllegalStateException("sqs:SendMessage failed");
            }
            return super.enqueue(threadId, runId);
        }

        @Override
        public void done(String receiptHandle) {
            steps.add("release " + receiptHandle);
            super.done(receiptHandle);
        }
    };
    private int stopFailures;
    private final InMemoryPorts.Flow workflow = new InMemoryPorts.Flow() {
        @Override
        public void stop(String runId, String error, String cause) {
            if (stopFailures > 0) {
                stopFailures--;
                throw new IllegalStateException("states:StopExecution failed");
            }
            steps.add("stop " + runId);
            super.stop(runId, error, cause);
        }
    };
    private final Finalizer finalizer = new Finalizer(ports.runs, ports.fence, queue, clock);
    private final Cancellation cancellation = new Cancellation(finalizer, workflow, ports.frames, clock);
    private final RunService service = new RunService(ports.runs, ports.threads, queue, cancellation, 3, clock);
    private final Gate gate = new Gate(ports.runs, ports.threads, queue, workflow, finalizer, cancellation, 300, clock);

    @Test
    void aStartWithoutAKeyWhoseEnqueueFailsEndsItsRunSoItNeitherCountsNorBlocks() {
        enqueueFails = true;
        assertThrows(IllegalStateException.class, () -> service.start("t", ECHO, null), "the caller hears the failure");
        Run orphan = ports.runs.items.values().iterator().next();
        assertEquals(RunStatus.FAILED, orphan.status());
        assertEquals("StartFailed", orphan.error().code());

        enqueueFails = false;
        assertEquals(0, service.thread("t").queued());
        Run reject = service.start("t", new StartRequest(Target.HOSTED, null, ECHO.input(),
                new StartOptions(BusyPolicy.REJECT, null)), null).run();
        assertEquals(RunStatus.QUEUED, reject.status(), "the failed start does not make the thread busy");
        for (int i = 0; i < 2; i++) {
            service.start("t", ECHO, null);
        }
        assertEquals(3, service.thread("t").queued(), "nor does it hold one of the thread's ThreadQueueCap places");
    }

    @Test
    void aStartWithAKeyWhoseEnqueueFailsIsCompletedByItsRetry() {
        enqueueFails = true;
        assertThrows(IllegalStateException.class, () -> service.start("t", ECHO, "k"));
        enqueueFails = false;
        RunService.Started retried = service.start("t", ECHO, "k");
        assertEquals(RunStatus.QUEUED, retried.run().status());
        assertTrue(retried.run().queueSeq() != null, "queued by the retry");
        assertEquals(List.of(retried.run().runId()), queue.enqueued);
        assertEquals(1, ports.runs.items.size(), "one run for the key");
    }

    @Test
    void aRunLeftUnqueuedByADeadStartEndsOnceTheGraceHasPassedAndFreesItsPlace() {
        // A start that died between storing its run and queueing it: nothing in the process could end it.
        for (int i = 0; i < 3; i++) {
            ports.runs.create(Run.queued("dead-" + i, "t", Target.HOSTED, null, "h", clock.instant()), 3);
        }
        assertEquals(3, service.thread("t").queued(), "within the grace a start may still be under way");
        assertEquals("ThreadQueueFull", assertThrows(RefusedException.class, () -> service.start("t", ECHO, null)).code());

        clock.advance(RunService.ENQUEUE_GRACE.plusSeconds(1));
        assertEquals(RunStatus.FAILED, service.get("dead-0").status());
        assertEquals("StartFailed", service.get("dead-0").error().code());
        for (int i = 0; i < 3; i++) {
            assertEquals(RunStatus.QUEUED, service.start("t", ECHO, null).run().status(), "the thread takes runs again");
        }
        assertEquals(RunStatus.FAILED, ports.runs.items.get("dead-2").status(), "a full thread ended what could no longer run");
    }

    @Test
    void aCancelStopsTheExecutionBeforeItFreesTheThreadAndARepeatCompletesIt() {
        Run run = service.start("t", ECHO, null).run();
        assertTrue(gate.admit(List.of(InMemoryPorts.message("m1", run))).contains("m1"));

        assertEquals(RunStatus.CANCELLED, service.cancel(run.runId()).status());
        assertEquals(List.of("stop " + run.runId(), "release r-m1"), steps, "the next run starts only once this one is stopped");

        steps.clear();
        assertEquals(RunStatus.CANCELLED, service.cancel(run.runId()).status(), "a retry answers with the run, not 409");
        assertEquals(List.of("stop " + run.runId(), "release r-m1"), steps, "and redoes what the first may have left undone");
    }

    /** A thread cancel or a cancel-others start cut short after the running run's end is completed by its retry. */
    @Test
    void aRetriedThreadCancelOrSupersedeStopsTheRunTheFirstTryEnded() {
        Run running = service.start("t", ECHO, null).run();
        gate.admit(List.of(InMemoryPorts.message("m1", running)));
        stopFailures = 1;
        assertThrows(IllegalStateException.class, () -> service.cancelThread("t", RunService.Include.ALL));
        assertEquals(RunStatus.CANCELLED, ports.runs.items.get(running.runId()).status());
        assertEquals(List.of(), steps, "cut short: not stopped, the thread still held");

        service.cancelThread("t", RunService.Include.ALL);
        assertEquals(List.of("stop " + running.runId(), "release r-m1"), steps, "the retry stops it, then frees the thread");

        steps.clear();
        Run next = service.start("t2", ECHO, null).run();
        gate.admit(List.of(InMemoryPorts.message("m2", next)));
        StartRequest cancelOthers = new StartRequest(Target.HOSTED, null, ECHO.input(), new StartOptions(BusyPolicy.CANCEL_OTHERS, null));
        stopFailures = 1;
        assertThrows(IllegalStateException.class, () -> service.start("t2", cancelOthers, "k"));
        service.start("t2", cancelOthers, "k");
        assertEquals(List.of("stop " + next.runId(), "release r-m2"), steps, "the keyed retry of the start completes the supersede");
    }

    @Test
    void aCancelOfARunThatEndedOtherwiseIsRefused() {
        Run run = service.start("t", ECHO, null).run();
        gate.admit(List.of(InMemoryPorts.message("m1", run)));
        finalizer.finish(run.runId(), java.util.Optional.of(Outcome.succeeded()));
        assertEquals("RunEnded", assertThrows(RefusedException.class, () -> service.cancel(run.runId())).code());
    }

    /** The listing of unfinished runs (an eventually consistent index on AWS) may miss a run created a moment ago. */
    @Test
    void aThreadCancelCancelsARunItsListingMissed() {
        Run missed = service.start("t", ECHO, null).run();
        InMemoryPorts.Runs lagging = new InMemoryPorts.Runs(ports.threads) {
            @Override
            public List<Run> unfinished(String threadId) {
                return List.of();
            }
        };
        lagging.items.putAll(ports.runs.items);
        RunService lagged = new RunService(lagging, ports.threads, queue,
                new Cancellation(new Finalizer(lagging, ports.fence, queue, clock), workflow, ports.frames, clock), 3, clock);
        assertEquals(List.of(), lagged.cancelThread("t", RunService.Include.QUEUED), "the listing did not show it");
        clock.advance(Duration.ofMillis(1));

        assertEquals(RunStatus.CANCELLED, service.get(missed.runId()).status(), "a read shows it cancelled");
        assertEquals(List.of(), gate.admit(List.of(InMemoryPorts.message("m1", missed))), "and the gate never starts it");
        assertTrue(workflow.started.isEmpty());
        assertEquals(RunStatus.QUEUED, service.start("t", ECHO, null).run().status(), "a run started after the cancel runs");
    }

    @Test
    void aPauseAfterTheGateReadTheThreadStillStopsTheAdmission() {
        Run run = service.start("t", ECHO, null).run();
        InMemoryPorts.ThreadBook threads = ports.threads;
        Gate racing = new Gate(ports.runs, new dev.runlane.domain.Threads() {
            @Override public dev.runlane.domain.ThreadState find(String threadId) {
                dev.runlane.domain.ThreadState read = threads.find(threadId);
                threads.pause(threadId, clock.instant()); // lands between the gate's read and its admission
                return read;
            }
            @Override public dev.runlane.domain.Page<dev.runlane.domain.ThreadState> recent(int l, String c) { return threads.recent(l, c); }
            @Override public dev.runlane.domain.ThreadState pause(String id, Instant at) { return threads.pause(id, at); }
            @Override public java.util.Optional<String> resume(String id, Instant at) { return threads.resume(id, at); }
            @Override public boolean holdWhilePaused(String id, String receipt) { return threads.holdWhilePaused(id, receipt); }
            @Override public dev.runlane.domain.ThreadState supersedeBefore(String id, String seq) { return threads.supersedeBefore(id, seq); }
            @Override public void cancelQueueBefore(String id, Instant at) { threads.cancelQueueBefore(id, at); }
        }, queue, workflow, finalizer, cancellation, 300, clock);

        racing.admit(List.of(InMemoryPorts.message("m1", run)));
        assertEquals(RunStatus.QUEUED, ports.runs.items.get(run.runId()).status(), "a paused thread starts nothing");
        assertTrue(workflow.started.isEmpty());
        assertEquals("r-m1", ports.threads.find("t").heldReceipt(), "its head is held for the resume");
    }
}
