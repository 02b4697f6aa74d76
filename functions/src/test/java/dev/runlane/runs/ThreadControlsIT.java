package dev.runlane.runs;

import dev.runlane.agent.Agents;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.aws.DynamoFence;
import dev.runlane.aws.DynamoFrames;
import dev.runlane.aws.DynamoPollSlots;
import dev.runlane.aws.DynamoRunStore;
import dev.runlane.aws.DynamoThreads;
import dev.runlane.aws.SqsThreadQueue;
import dev.runlane.aws.StepFunctionsWorkflow;
import dev.runlane.domain.BusyPolicy;
import dev.runlane.domain.PollSlots;
import dev.runlane.domain.QueueMessage;
import dev.runlane.domain.RefusedException;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Target;
import dev.runlane.gate.Gate;
import dev.runlane.testing.LocalAws;
import dev.runlane.testing.MovableClock;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.runlane.testing.Fixtures.uniqueId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The thread controls (busy policies, deadlines, pause, thread cancel, rerun, live events) on moto's tables and queue. */
class ThreadControlsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalAws aws = LocalAws.get();
    private final MovableClock clock = new MovableClock(Instant.now());
    private final DynamoRunStore runs = new DynamoRunStore(aws.dynamo, aws.settings);
    private final DynamoFence fence = new DynamoFence(aws.dynamo, aws.settings);
    private final DynamoThreads threads = new DynamoThreads(aws.dynamo, aws.settings);
    private final SqsThreadQueue queue = new SqsThreadQueue(aws.sqs, aws.settings.queueUrl(),
            aws.settings.deadLetterQueueUrl().orElseThrow());
    private final StepFunctionsWorkflow workflow = new StepFunctionsWorkflow(aws.sfn, aws.settings.stateMachineArn().orElseThrow());
    private final Finalizer finalizer = new Finalizer(runs, fence, queue, clock);
    private final Cancellation cancellation = new Cancellation(finalizer, workflow, new DynamoFrames(aws.dynamo, aws.settings), clock);
    private final RunService service = new RunService(runs, threads, queue, cancellation, 1000, clock);
    private final Gate gate = new Gate(runs, threads, queue, workflow, finalizer, cancellation, 300, clock);

    @Test
    void rejectIsRefusedWhileTheThreadIsBusyAndStoresNothing() {
        String thread = uniqueId("t");
        Run first = service.start(thread, request(BusyPolicy.REJECT, null), "key-1").run();
        assertEquals(first.runId(), service.start(thread, request(BusyPolicy.REJECT, null), "key-1").run().runId(),
                "a repeat with the same Idempotency-Key returns the same run, though the thread is busy with it now");

        RefusedException refused = assertThrows(RefusedException.class, () -> start(thread, BusyPolicy.REJECT, null));
        assertEquals("ThreadBusy", refused.code());
        assertEquals(List.of(first.runId()), service.list(thread, null, null).items().stream().map(Run::runId).toList(),
                "nothing stored for the refused start");
    }

    @Test
    void aRejectRunAdmittedInARaceEndsRejectedWhenTheThreadWasBusyAtItsEnqueue() {
        String thread = uniqueId("t");
        Run first = start(thread, BusyPolicy.QUEUE, null);
        assertFalse(admit(first).isEmpty(), "the first run is held while it runs");
        // Two reject starts that both saw the thread idle: stored directly, as a race would leave them.
        Run raced = runs.create(Run.queued(uniqueId("r"), thread, Target.HOSTED, null, "h",
                new dev.runlane.domain.RunOptions(BusyPolicy.REJECT, null, null), clock.instant()), 1000).orElseThrow().run();
        runs.storeInput(raced.runId(), "{}", clock.instant());
        runs.recordQueueSeq(raced.runId(), queue.enqueue(thread, raced.runId()));
        clock.advance(Duration.ofSeconds(1));
        end(first);

        assertTrue(admit(raced).isEmpty(), "its message is done");
        Run rejected = runs.find(raced.runId()).orElseThrow();
        assertEquals(RunStatus.REJECTED, rejected.status());
        assertEquals("ThreadBusy", rejected.error().code());
        assertNull(rejected.executionArn(), "it never executed");

        clock.advance(Duration.ofSeconds(1));
        Run later = start(thread, BusyPolicy.REJECT, null);
        assertFalse(admit(later).isEmpty(), "a reject run on an idle thread starts");
        assertEquals(RunStatus.RUNNING, runs.find(later.runId()).orElseThrow().status());
    }

    @Test
    void cancelOthersCancelsTheRunningAndQueuedRunsBeforeIt() {
        String thread = uniqueId("t");
        Run running = start(thread, BusyPolicy.QUEUE, null);
        admit(running);
        Run queued = start(thread, BusyPolicy.QUEUE, null);

        Run latest = start(thread, BusyPolicy.CANCEL_OTHERS, null);

        for (Run earlier : List.of(running, queued)) {
            Run now = runs.find(earlier.runId()).orElseThrow();
            assertEquals(RunStatus.CANCELLED, now.status());
            assertEquals("Superseded", now.error().code());
        }
        assertEquals(RunStatus.QUEUED, runs.find(latest.runId()).orElseThrow().status());
        assertEquals(latest.queueSeq(), threads.find(thread).supersededBefore());
    }

    @Test
    void theGateCancelsARunSupersededAfterItReadTheThread() {
        String thread = uniqueId("t");
        Run head = start(thread, BusyPolicy.QUEUE, null);
        Run waiting = start(thread, BusyPolicy.QUEUE, null);
        // A cancel-others start whose own pass never saw `waiting` (its position not yet recorded):
        // the marker alone must keep `waiting` from executing.
        threads.supersedeBefore(thread, QueueMessage.position("9".repeat(30)));
        assertTrue(admit(head).isEmpty());
        assertEquals(RunStatus.CANCELLED, runs.find(head.runId()).orElseThrow().status());
        assertTrue(admit(waiting).isEmpty());
        assertEquals("Superseded", runs.find(waiting.runId()).orElseThrow().error().code());
    }

    @Test
    void aCancelOthersStartCancelsTheRunTheGateAdmittedJustBeforeItsMarker() {
        String thread = uniqueId("t");
        Run admitted = start(thread, BusyPolicy.QUEUE, null);
        assertFalse(admit(admitted).isEmpty());
        assertEquals(admitted.runId(), threads.find(thread).admittedRun(), "the gate records what it admitted");
        // A start whose pass cannot see the admitted run in the index: only the thread item tells it.
        Run later = runs.create(Run.queued(uniqueId("r"), thread, Target.HOSTED, null, "h",
                new dev.runlane.domain.RunOptions(BusyPolicy.CANCEL_OTHERS, null, null), clock.instant()), 1000).orElseThrow().run();
        runs.storeInput(later.runId(), "{}", clock.instant());
        String seq = queue.enqueue(thread, later.runId());
        runs.recordQueueSeq(later.runId(), seq);

        dev.runlane.domain.ThreadState after = threads.supersedeBefore(thread, seq);
        assertTrue(after.supersedes(after.admittedPosition()), "the marker's write returns the admitted run below it");
        assertEquals(RunStatus.RUNNING, runs.find(admitted.runId()).orElseThrow().status());
        service.start(thread, request(BusyPolicy.CANCEL_OTHERS, null), null);
        assertEquals("Superseded", runs.find(admitted.runId()).orElseThrow().error().code());
    }

    @Test
    void cancellingTheQueuedRunsNeverFencesOutOneTheGateAdmittedMeanwhile() {
        String thread = uniqueId("t");
        Run run = start(thread, BusyPolicy.QUEUE, null);
        assertFalse(admit(run).isEmpty());
        long token = fence.acquire(thread, run.runId(), 1, clock.instant());

        assertFalse(cancellation.cancel(run.runId(), Outcome.cancelled("queued only"), true));
        fence.confirm(thread, run.runId(), token); // throws if fenced out
        assertEquals(RunStatus.RUNNING, runs.find(run.runId()).orElseThrow().status());
    }

    @Test
    void aQueuedRunPastItsDeadlineShowsExpiredAtOnceAndNeverStarts() {
        String thread = uniqueId("t");
        Run busy = start(thread, BusyPolicy.QUEUE, null);
        admit(busy);
        Run expiring = start(thread, BusyPolicy.QUEUE, 5);
        assertEquals(RunStatus.QUEUED, service.get(expiring.runId()).status());

        clock.advance(Duration.ofSeconds(5));
        Run shown = service.get(expiring.runId());
        assertEquals(RunStatus.EXPIRED, shown.status(), "GET shows it as soon as its deadline has passed");
        assertEquals("Expired", shown.error().code());

        Run late = start(thread, BusyPolicy.QUEUE, 5);
        clock.advance(Duration.ofSeconds(6));
        end(busy);
        assertTrue(admit(expiring).isEmpty());
        assertTrue(admit(late).isEmpty(), "the gate ends an expired head and moves on");
        assertEquals(RunStatus.EXPIRED, runs.find(late.runId()).orElseThrow().status());
        assertNull(runs.find(late.runId()).orElseThrow().executionArn());
    }

    @Test
    void aPausedThreadHoldsItsHeadUntilResumeReleasesIt() {
        String thread = uniqueId("t");
        service.pause(thread);
        Run run = start(thread, BusyPolicy.QUEUE, null);
        Map<String, Message> received = aws.receive(List.of(run.runId()));

        assertEquals(List.of(received.get(run.runId()).messageId()), gate.admit(List.of(message(received.get(run.runId())))),
                "the head stays in flight");
        assertEquals(RunStatus.QUEUED, runs.find(run.runId()).orElseThrow().status(), "a paused thread starts nothing");
        RunService.ThreadView paused = service.thread(thread);
        assertTrue(paused.state().paused());
        assertEquals(1, paused.queued());
        assertEquals(received.get(run.runId()).receiptHandle(), paused.state().heldReceipt());

        RunService.ThreadView resumed = service.resume(thread);
        assertFalse(resumed.state().paused());
        // Released: the head comes back at once (the queue's visibility timeout is 180 s).
        Message again = aws.receive(List.of(run.runId())).get(run.runId());
        assertFalse(gate.admit(List.of(message(again))).isEmpty());
        assertEquals(RunStatus.RUNNING, runs.find(run.runId()).orElseThrow().status());
        assertEquals(run.runId(), service.thread(thread).running().runId());
    }

    @Test
    void cancellingAThreadsQueueLeavesItsRunningRunUnlessAllIsAsked() {
        String thread = uniqueId("t");
        Run running = start(thread, BusyPolicy.QUEUE, null);
        admit(running);
        Run q1 = start(thread, BusyPolicy.QUEUE, null);
        Run q2 = start(thread, BusyPolicy.QUEUE, null);

        assertEquals(java.util.Set.of(q1.runId(), q2.runId()),
                java.util.Set.copyOf(service.cancelThread(thread, RunService.Include.QUEUED)));
        assertEquals(RunStatus.RUNNING, runs.find(running.runId()).orElseThrow().status());
        assertEquals(List.of(running.runId()), service.cancelThread(thread, RunService.Include.ALL));
        assertEquals(RunStatus.CANCELLED, runs.find(running.runId()).orElseThrow().status());
        assertEquals(List.of(), service.cancelThread(thread, RunService.Include.ALL));
    }

    @Test
    void aRerunHasTheOriginalsInputTargetAndThreadAndNamesIt() throws Exception {
        String thread = uniqueId("t");
        Run original = start(thread, BusyPolicy.QUEUE, null);

        Run rerun = service.rerun(original.runId(), StartOptions.DEFAULT, "again").run();
        assertEquals(thread, rerun.threadId());
        assertEquals(original.runId(), rerun.options().rerunOf());
        assertEquals(JSON.readTree("{\"agent\":\"echo\",\"n\":1.50}"), JSON.readTree(runs.payloads(rerun.runId()).input()));
        assertEquals(rerun.runId(), service.rerun(original.runId(), StartOptions.DEFAULT, "again").run().runId(),
                "the Idempotency-Key applies");
        assertEquals("RunNotFound", assertThrows(RefusedException.class,
                () -> service.rerun("no-such-run", StartOptions.DEFAULT, null)).code());
    }

    @Test
    void liveEventsReturnWhatFollowsTheCursorAndAtOnceWhenTheRunHasEnded() {
        String thread = uniqueId("t");
        Run run = start(thread, BusyPolicy.QUEUE, null);
        long token = fence.acquire(thread, run.runId(), 1, clock.instant());
        fence.append(thread, new RunEvent(run.runId(), 1, token, Instant.now(), "progress", "{\"step\":1}"));

        RunService.LiveEvents first = service.watch(run.runId(), null, 0, "test");
        assertEquals(1, first.events().size());
        assertNotNull(first.cursor());
        RunService.LiveEvents none = service.watch(run.runId(), first.cursor(), 0, "test");
        assertEquals(List.of(), none.events());
        assertEquals(first.cursor(), none.cursor(), "with nothing new, the cursor stays");

        fence.append(thread, new RunEvent(run.runId(), 1, token, Instant.now().plusMillis(5), "progress", "{\"step\":2}"));
        RunService.LiveEvents second = service.watch(run.runId(), first.cursor(), 5, "test");
        assertEquals(List.of("{\"step\":2}"), second.events().stream().map(RunEvent::data).toList());

        finalizer.finish(run.runId(), java.util.Optional.of(Outcome.succeeded()));
        long before = System.nanoTime();
        RunService.LiveEvents ended = service.watch(run.runId(), second.cursor(), 20, "test");
        assertTrue(ended.run().isTerminal());
        assertTrue(Duration.ofNanos(System.nanoTime() - before).toSeconds() < 20, "an ended run's poll does not wait");
        assertEquals("InvalidWait", assertThrows(RefusedException.class, () -> service.watch(run.runId(), null, 21, "test")).code());
    }

    @Test
    void aCallerWhoHoldsAllItsLongPollSlotsIsRefusedAtOnceUnlessItsPollNeedNotWait() {
        String thread = uniqueId("t");
        Run quiet = start(thread, BusyPolicy.QUEUE, null); // queued, no events: a poll of it waits
        Run chatty = start(uniqueId("t"), BusyPolicy.QUEUE, null);
        long token = fence.acquire(chatty.threadId(), chatty.runId(), 1, clock.instant());
        fence.append(chatty.threadId(), new RunEvent(chatty.runId(), 1, token, Instant.now(), "progress", "{\"step\":1}"));
        DynamoPollSlots slots = new DynamoPollSlots(aws.dynamo, aws.settings);
        RunService capped = new RunService(runs, threads, queue, cancellation, 1000,
                new LongPollCap(slots, 1), Agents.load(Agents.ECHO), Clock.systemUTC());
        String caller = uniqueId("ip:10.0.0");
        PollSlots.Slot held = slots.take(caller, 1, Instant.now(), Instant.now().plusSeconds(30)).orElseThrow();

        RefusedException refused = assertThrows(RefusedException.class, () -> capped.watch(quiet.runId(), null, 3, caller));
        assertEquals("TooManyLongPolls", refused.code());
        assertEquals(RefusedException.Kind.LIMIT_REACHED, refused.kind());
        assertEquals(2, refused.retryAfterSeconds());
        assertEquals(List.of(), capped.watch(quiet.runId(), null, 0, caller).events(), "a poll that does not wait needs no slot");
        assertEquals(1, capped.watch(chatty.runId(), null, 3, caller).events().size(), "nor one that has events at once");
        assertEquals(List.of(), capped.watch(quiet.runId(), null, 1, uniqueId("ip:10.0.1")).events(), "another caller waits");

        slots.giveBack(held);
        assertEquals(List.of(), capped.watch(quiet.runId(), null, 1, caller).events(), "a slot given back is taken again");
        assertEquals(List.of(), capped.watch(quiet.runId(), null, 1, caller).events(), "and the poll gave it back");
    }

    /** ThreadQueueCap is counted in the same write that creates a run: concurrent starts cannot pass it. */
    @Test
    void theThreadCapHoldsExactlyUnderConcurrentStarts() throws Exception {
        String thread = uniqueId("t");
        RunService capped = new RunService(runs, threads, queue, cancellation, 3, clock);
        List<String> outcomes = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(20)) {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<String>> starts = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                starts.add(pool.submit(() -> {
                    go.await();
                    try {
                        return capped.start(thread, request(BusyPolicy.QUEUE, null), null).run().status().name();
                    } catch (RefusedException refused) {
                        return refused.code();
                    }
                }));
            }
            go.countDown();
            for (var start : starts) {
                outcomes.add(start.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
        }
        assertEquals(3, outcomes.stream().filter("QUEUED"::equals).count(), outcomes.toString());
        assertEquals(17, outcomes.stream().filter("ThreadQueueFull"::equals).count(), outcomes.toString());
        assertEquals(3, runs.unfinished(thread).size(), "exactly the cap is stored");

        Run first = runs.unfinished(thread).getFirst();
        cancellation.cancel(first.runId(), Outcome.cancelled("test"), false);
        assertEquals(RunStatus.QUEUED, capped.start(thread, request(BusyPolicy.QUEUE, null), null).run().status(),
                "a run that ends frees its place in the same write");
    }

    /**
     * A pause that lands while the gate is starting the head's execution: either the gate's admission
     * came first, and the pause answers with that run running, or the pause came first, and the run does
     * not start. Never a pause that answers "nothing running" followed by a run that starts.
     */
    @Test
    void aPauseDuringTheStartOfAnExecutionIsSeenByTheAdmissionOrSeesIt() {
        String thread = uniqueId("t");
        Run run = start(thread, BusyPolicy.QUEUE, null);
        RunService.ThreadView[] pausedView = new RunService.ThreadView[1];
        StepFunctionsWorkflow pausing = new StepFunctionsWorkflow(aws.sfn, aws.settings.stateMachineArn().orElseThrow()) {
            @Override
            public String start(String runId, String input) {
                pausedView[0] = service.pause(thread); // the user's pause, between the gate's decision and the execution
                return super.start(runId, input);
            }
        };
        Gate racing = new Gate(runs, threads, queue, pausing, finalizer, cancellation, 300, clock);
        Message received = aws.receive(List.of(run.runId())).get(run.runId());
        racing.admit(List.of(message(received)));

        Run now = runs.find(run.runId()).orElseThrow();
        if (now.status() == RunStatus.RUNNING) {
            assertNotNull(pausedView[0], "the execution started");
            assertNotNull(pausedView[0].running(), "so the pause's answer must show the run running");
            assertEquals(run.runId(), pausedView[0].running().runId());
        }
        service.resume(thread);
        cancellation.cancel(run.runId(), Outcome.cancelled("test"), false);
    }

    /** A deadline that passes while the gate starts the execution: the run was admitted before it, in one write. */
    @Test
    void aRunIsAdmittedOnlyBeforeItsDeadline() {
        String thread = uniqueId("t");
        Run run = start(thread, BusyPolicy.QUEUE, 5);
        Instant deadline = run.options().expiresAt();
        StepFunctionsWorkflow slow = new StepFunctionsWorkflow(aws.sfn, aws.settings.stateMachineArn().orElseThrow()) {
            @Override
            public String start(String runId, String input) {
                clock.advance(Duration.ofSeconds(10)); // StartExecution throttled and retried past the deadline
                return super.start(runId, input);
            }
        };
        Gate racing = new Gate(runs, threads, queue, slow, finalizer, cancellation, 300, clock);
        Message received = aws.receive(List.of(run.runId())).get(run.runId());
        racing.admit(List.of(message(received)));

        Run now = runs.find(run.runId()).orElseThrow();
        assertEquals(RunStatus.RUNNING, now.status());
        assertTrue(threads.find(thread).activeAt().isBefore(deadline),
                "the admitting write, which checks the deadline, came before it: " + threads.find(thread).activeAt());
        cancellation.cancel(run.runId(), Outcome.cancelled("test"), false);
    }

    // ------------------------------------------------------------------ helpers

    private Run start(String thread, BusyPolicy onBusy, Integer expiresInSeconds) {
        return service.start(thread, request(onBusy, expiresInSeconds), null).run();
    }

    private static StartRequest request(BusyPolicy onBusy, Integer expiresInSeconds) {
        try {
            return new StartRequest(Target.HOSTED, null, JSON.readTree("{\"agent\":\"echo\",\"n\":1.50}"),
                    new StartOptions(onBusy, expiresInSeconds));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Receives the run's message and lets the gate admit it, deleting it when the gate is done with it
     * (as the SQS event source does); returns the ids the gate keeps in flight.
     */
    private List<String> admit(Run run) {
        Message received = aws.receive(List.of(run.runId())).get(run.runId());
        List<String> kept = gate.admit(List.of(message(received)));
        if (kept.isEmpty()) {
            aws.sqs.deleteMessage(r -> r.queueUrl(aws.settings.queueUrl()).receiptHandle(received.receiptHandle()));
        }
        return kept;
    }

    /**
     * Ends a run so its thread moves on: a held run's message is deleted by the finalizer; one never
     * received yet is done when the gate sees it ended.
     */
    private void end(Run run) {
        Finalizer.Finished finished = finalizer.finish(run.runId(), java.util.Optional.of(Outcome.succeeded()));
        if (finished.run().receiptHandle() == null) {
            assertTrue(admit(run).isEmpty(), "an ended run's message is done");
        }
    }

    private static QueueMessage message(Message message) {
        Map<String, String> attributes = message.attributesAsStrings();
        return new QueueMessage(message.messageId(), message.receiptHandle(), message.body(),
                attributes.get(MessageSystemAttributeName.MESSAGE_GROUP_ID.toString()),
                attributes.get(MessageSystemAttributeName.MESSAGE_DEDUPLICATION_ID.toString()),
                QueueMessage.position(attributes.get(MessageSystemAttributeName.SEQUENCE_NUMBER.toString())));
    }
}
