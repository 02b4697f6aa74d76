package dev.runlane.gate;

import dev.runlane.domain.QueueMessage;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Target;
import dev.runlane.domain.Workflow.Execution;
import dev.runlane.domain.Workflow.Status;
import dev.runlane.runs.Finalizer;
import dev.runlane.testing.InMemoryPorts;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GateTest {
    private static final Instant NOW = Instant.parse("2026-11-28T17:10:00.123Z");
    private static final int HOLD = 42900;

    private final InMemoryPorts ports = new InMemoryPorts();
    private final Finalizer finalizer = new Finalizer(ports.runs, ports.fence, ports.queue, Clock.fixed(NOW, ZoneOffset.UTC));
    private Gate gate = gate(ports.queue, ports.workflow);

    private Gate gate(dev.runlane.domain.ThreadQueue queue, dev.runlane.domain.Workflow workflow) {
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        return new Gate(ports.runs, ports.threads, queue, workflow, finalizer,
                new dev.runlane.runs.Cancellation(finalizer, workflow, ports.frames, clock), HOLD, clock);
    }

    @Test
    void mixedBatchKeepsEachThreadsHeadInFlightAndLaterMessagesUntouched() {
        run("a1", "A", RunStatus.QUEUED);
        run("a2", "A", RunStatus.QUEUED);
        run("b1", "B", RunStatus.SUCCEEDED);
        run("b2", "B", RunStatus.QUEUED);
        run("c1", "C", RunStatus.QUEUED);
        run("d1", "D", RunStatus.RUNNING);
        ports.workflow.executions.put("d1", new Execution("arn:d1", Status.SUCCEEDED, "{\"ok\":true}", null, null));
        run("d2", "D", RunStatus.QUEUED);
        run("e1", "E", RunStatus.RUNNING);
        ports.workflow.executions.put("e1", new Execution("arn:e1", Status.RUNNING, null, null, null));

        List<String> kept = gate.admit(List.of(
                message("m1", "A", "a1"), message("m2", "A", "a2"),
                message("m3", "B", "b1"), message("m4", "B", "b2"),
                new QueueMessage("m5", "r-m5", "not json {", "C", "x"), message("m6", "C", "c1"),
                message("m7", "D", "d1"), message("m8", "D", "d2"),
                message("m9", "E", "e1")));

        assertEquals(List.of("m1", "m2", "m4", "m6", "m8", "m9"), kept);
        assertEquals(List.of("a1", "b2", "c1", "d2"), ports.workflow.started, "a2 must wait behind a1");
        assertEquals(RunStatus.QUEUED, ports.runs.items.get("a2").status());
        assertEquals(RunStatus.RUNNING, ports.runs.items.get("a1").status());
        assertEquals("r-m1", ports.runs.items.get("a1").receiptHandle());
        assertEquals(HOLD, ports.queue.visibility.get("r-m1"));
        assertEquals(0, ports.queue.visibility.get("r-m2"), "a later message of a held thread waits, visible, behind its head");
        assertEquals(List.of("m5"), ports.queue.deadLetters.stream().map(QueueMessage::messageId).toList());
        assertEquals(RunStatus.SUCCEEDED, ports.runs.items.get("d1").status(), "an ended execution ends its run");
        assertEquals("r-m9", ports.runs.items.get("e1").receiptHandle(), "a redelivered running run is held with the new receipt");
        assertEquals(HOLD, ports.queue.visibility.get("r-m9"));
    }

    @Test
    void aMessageForNoRunOrForAnotherThreadIsMovedAsideWithoutBlockingItsThread() {
        run("x1", "X", RunStatus.QUEUED);

        List<String> kept = gate.admit(List.of(message("m1", "X", "ghost"), message("m2", "Y", "x1"),
                new QueueMessage("m3", "r-m3", "{\"runId\":\"../../etc\"}", "X", "d"), message("m4", "X", "x1")));

        assertEquals(List.of("m4"), kept);
        assertEquals(List.of("m1", "m2", "m3"), ports.queue.deadLetters.stream().map(QueueMessage::messageId).toList());
        assertEquals(List.of("x1"), ports.workflow.started);
    }

    @Test
    void aTransientFailureKeepsTheMessageAndEveryLaterOneOfItsThread() {
        run("a1", "A", RunStatus.QUEUED);
        run("a2", "A", RunStatus.QUEUED);
        run("b1", "B", RunStatus.QUEUED);
        InMemoryPorts.Flow throttled = new InMemoryPorts.Flow() {
            @Override
            public String start(String runId, String input) {
                if (runId.equals("a1")) {
                    throw new IllegalStateException("ThrottlingException");
                }
                return super.start(runId, input);
            }
        };
        gate = gate(ports.queue, throttled);

        List<String> kept = gate.admit(List.of(message("m1", "A", "a1"), message("m2", "A", "a2"), message("m3", "B", "b1")));

        assertEquals(List.of("m1", "m2", "m3"), kept);
        assertEquals(List.of("b1"), throttled.started);
        assertEquals(null, ports.queue.visibility.get("r-m1"), "a failed head comes back after the visibility timeout");
        assertEquals(RunStatus.RUNNING, ports.runs.items.get("a1").status(), "admitted before its execution was started");
        assertTrue(ports.workflow.describe("a1").isEmpty());

        gate = gate(ports.queue, ports.workflow);
        assertEquals(List.of("m1b"), gate.admit(List.of(message("m1b", "A", "a1"))),
                "the message comes back: the admitted run's execution is started and its thread held");
        assertEquals(List.of("a1"), ports.workflow.started);
        assertEquals("r-m1b", ports.runs.items.get("a1").receiptHandle());
        assertEquals(HOLD, ports.queue.visibility.get("r-m1b"));
    }

    @Test
    void aRunThatEndsBeforeItsHoldIsDeletedInsteadOfHeld() {
        run("a1", "A", RunStatus.QUEUED);
        InMemoryPorts.Queue racing = new InMemoryPorts.Queue() {
            @Override
            public void hold(String receiptHandle, int seconds) {
                super.hold(receiptHandle, seconds);
                // The execution finished (and released) between markRunning and this hold.
                finalizer.finish("a1", java.util.Optional.of(dev.runlane.runs.Outcome.succeeded()));
            }
        };
        gate = gate(racing, ports.workflow);

        assertEquals(List.of(), gate.admit(List.of(message("m1", "A", "a1"))));
    }

    @Test
    void terminalRunsAreDeletedSoTheirThreadMovesOn() {
        for (RunStatus status : List.of(RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMED_OUT)) {
            run("t-" + status, "T", status);
        }
        List<String> kept = gate.admit(List.of(message("m1", "T", "t-SUCCEEDED"), message("m2", "T", "t-FAILED"),
                message("m3", "T", "t-CANCELLED"), message("m4", "T", "t-TIMED_OUT")));
        assertTrue(kept.isEmpty());
        assertTrue(ports.workflow.started.isEmpty());
    }

    @Test
    void theHoldIsHoldSecondsButNeverSoShortThatARunOutlivesMaxReceiveCount() {
        assertEquals(300, Gate.holdSeconds(300, 172_800), "the default: 5 min, a 48 h run takes 576 receives");
        assertEquals(2_880, Gate.holdSeconds(300, 2_592_000), "a 30-day run limit raises the hold to 48 min (900 receives)");
        assertEquals(42_900, Gate.holdSeconds(300, 40_000_000), "never above SQS's 12 h visibility cap");
        assertEquals(10, Gate.holdSeconds(10, 3_600));
        for (int runTimeout : new int[] {60, 3_600, 172_800, 2_592_000, 31_536_000}) { // up to a year, Step Functions' limit
            assertTrue((long) runTimeout / Gate.holdSeconds(1, runTimeout) <= 900, "receives of a " + runTimeout + " s run");
        }
    }

    @Test
    void aPausedThreadsHeadIsHeldUnderSqsTwelveHourCapWithItsReceiptOnTheThread() {
        run("a1", "A", RunStatus.QUEUED);
        ports.threads.pause("A", NOW);

        assertEquals(List.of("m1"), gate.admit(List.of(message("m1", "A", "a1"))));
        assertTrue(ports.workflow.started.isEmpty(), "a paused thread starts nothing");
        assertTrue(ports.queue.visibility.get("r-m1") < 12 * 3600, "SQS refuses a visibility past 12 h from the receive");
        assertEquals(42_900, ports.queue.visibility.get("r-m1"));
        assertEquals("r-m1", ports.threads.find("A").heldReceipt(), "resume releases this receipt");

        assertEquals(java.util.Optional.of("r-m1"), ports.threads.resume("A", NOW));
        assertEquals(List.of("m2"), gate.admit(List.of(message("m2", "A", "a1"))), "after resume the head starts");
        assertEquals(List.of("a1"), ports.workflow.started);
    }

    @Test
    void aThreadResumedWhileTheGateHeldItsHeadGetsItBackAtOnce() {
        run("a1", "A", RunStatus.QUEUED);
        ports.threads.pause("A", NOW);
        InMemoryPorts.Queue racing = new InMemoryPorts.Queue() {
            @Override
            public void hold(String receiptHandle, int seconds) {
                super.hold(receiptHandle, seconds);
                ports.threads.resume("A", NOW); // resume read the thread before the gate stored this receipt
            }
        };
        gate = gate(racing, ports.workflow);

        assertEquals(List.of("m1"), gate.admit(List.of(message("m1", "A", "a1"))));
        assertEquals(0, racing.visibility.get("r-m1"), "released: the gate admits it again at once");
    }

    @Test
    void executionInputIsByteIdenticalForTheSameRun() {
        Run run = run("a1", "A", RunStatus.QUEUED);
        assertEquals(Gate.executionInput(run), Gate.executionInput(ports.runs.find("a1").orElseThrow()));
        assertEquals("{\"runId\":\"a1\",\"threadId\":\"A\",\"target\":\"hosted\"}", Gate.executionInput(run),
                "ids only: the input is read from the store, never carried by the execution");
    }

    private Run run(String runId, String threadId, RunStatus status) {
        return ports.runs.put(new Run(runId, threadId, Target.HOSTED, null, status, 0, null, null,
                null, NOW, null, status.isTerminal() ? NOW : null, "seq-" + runId, null, "hash", 0, null, null));
    }

    private static QueueMessage message(String messageId, String groupId, String runId) {
        return new QueueMessage(messageId, "r-" + messageId, QueueMessage.body(groupId, runId), groupId, runId);
    }
}
