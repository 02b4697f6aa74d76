package dev.runlane.desktop;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.domain.RefusedException;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Target;
import dev.runlane.runs.Json;
import dev.runlane.testing.InMemoryPorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon side's rules: who may report, with which token, for which run. */
class DaemonServiceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-28T17:10:00.123Z");

    private final InMemoryPorts ports = new InMemoryPorts();
    private final DaemonService service = new DaemonService(ports.daemons, ports.frames, ports.runs, ports.fence,
            ports.workflow, Clock.systemUTC());

    @Test
    void aCredentialIsShownOnceAndStoredOnlyAsAHash() {
        DaemonService.Registration registration = service.register("laptop-1");
        assertTrue(registration.credential().startsWith("rld.laptop-1."));
        String stored = ports.daemons.hashes.get("laptop-1");
        assertFalse(stored.contains(registration.credential().substring(13)), "the secret is not stored");
        assertEquals(64, stored.length());
        RefusedException again = assertThrows(RefusedException.class, () -> service.register("laptop-1"));
        assertEquals(RefusedException.Kind.CONFLICT, again.kind());
        assertNotEquals(registration.credential(), service.register("laptop-2").credential());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Bearer", "rld.laptop-1.wrong-secret", "rld.nobody.x", "rld.../etc.x", "rld.laptop-1"})
    void aWrongCredentialIsUnauthorizedAndTouchesNothing(String credential) {
        service.register("laptop-1");
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        RefusedException refused = assertThrows(RefusedException.class,
                () -> service.report(runId, credential, report("heartbeat", 1)));
        assertEquals(RefusedException.Kind.UNAUTHENTICATED, refused.kind());
        assertThrows(RefusedException.class, () -> service.frames("laptop-1", credential, null, 0));
        assertTrue(ports.workflow.taskCalls.isEmpty());
    }

    /** Another daemon's run answers exactly as a run that does not exist: a daemon cannot probe which run ids exist. */
    @Test
    void anotherDaemonsRunIsNotFoundAndItsFramesForbidden() {
        service.register("laptop-1");
        String other = service.register("laptop-2").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        RefusedException notOurs = assertThrows(RefusedException.class, () -> service.report(runId, other, report("heartbeat", 1)));
        RefusedException nowhere = assertThrows(RefusedException.class, () -> service.report("run-nowhere", other, report("heartbeat", 1)));
        assertEquals(RefusedException.Kind.NOT_FOUND, notOurs.kind());
        assertEquals("RunNotFound", notOurs.code());
        assertEquals(nowhere.kind(), notOurs.kind());
        assertEquals(nowhere.code(), notOurs.code());
        assertEquals(nowhere.getMessage().replace("run-nowhere", runId), notOurs.getMessage());
        assertEquals(RefusedException.Kind.NOT_PERMITTED, assertThrows(RefusedException.class,
                () -> service.frames("laptop-1", other, null, 0)).kind());
        assertTrue(ports.workflow.taskCalls.isEmpty());
    }

    /** Item 5 of issue 18: an unauthenticated caller never gets its body read (the API parses it only after this). */
    @ParameterizedTest
    @ValueSource(strings = {"", "rld.laptop-1.wrong-secret", "rld.nobody.x"})
    void aWrongCredentialIsRefusedBeforeTheBodyIsRead(String credential) {
        service.register("laptop-1");
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        java.util.function.Supplier<Report> report = () -> { throw new AssertionError("the body was read"); };
        java.util.function.Supplier<List<String>> ids = () -> { throw new AssertionError("the body was read"); };
        assertEquals(RefusedException.Kind.UNAUTHENTICATED,
                assertThrows(RefusedException.class, () -> service.report(runId, credential, report)).kind());
        assertEquals(RefusedException.Kind.UNAUTHENTICATED,
                assertThrows(RefusedException.class, () -> service.acknowledge("laptop-1", credential, ids)).kind());
    }

    /** Issue 18, item 3: a rotated credential is refused at once; the new one works, and the daemon's frames wait for it. */
    @Test
    void aRotatedCredentialIsRefusedAtOnceAndTheNewOneServes() throws Exception {
        String old = service.register("laptop-1").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", runId, "thread-" + runId, 1, "{}", 60, NOW));

        String fresh = service.rotate("laptop-1").credential();

        assertNotEquals(old, fresh);
        assertTrue(fresh.startsWith("rld.laptop-1."));
        for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> service.frames("laptop-1", old, null, 0),
                () -> service.report(runId, old, report("heartbeat", 1)),
                () -> service.acknowledge("laptop-1", old, List.of("0000000000001-start-x")))) {
            assertEquals(RefusedException.Kind.UNAUTHENTICATED, assertThrows(RefusedException.class, call).kind());
        }
        assertEquals(List.of(runId), service.frames("laptop-1", fresh, null, 0).frames().stream()
                .map(dev.runlane.domain.Frame::runId).toList(), "its frames wait for it");
        service.report(runId, fresh, report("heartbeat", 1));
        assertEquals(List.of("heartbeat:task-" + runId + ":"), ports.workflow.taskCalls);

        RefusedException unknown = assertThrows(RefusedException.class, () -> service.rotate("laptop-9"));
        assertEquals(RefusedException.Kind.NOT_FOUND, unknown.kind());
        assertEquals("DaemonNotFound", unknown.code());
        assertEquals("InvalidDaemonId", assertThrows(RefusedException.class, () -> service.rotate("../x")).code());
    }

    /**
     * Issue 18, item 3: a revoked credential is refused at once; the start frames the daemon never got fail their
     * runs with DaemonRevoked, its frames are dropped, and the id can be registered again with none.
     */
    @Test
    void aRevokedCredentialIsRefusedAtOnceAndItsUndeliveredRunsFail() throws Exception {
        String credential = service.register("laptop-1").credential();
        String waiting = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        String cancelled = desktopRun("laptop-1", RunStatus.CANCELLED, 1);
        String running = desktopRun("laptop-1", RunStatus.RUNNING, 1); // its frame already claimed: its command runs
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", waiting, "thread-" + waiting, 1, "{}", 60, NOW));
        ports.frames.send(dev.runlane.domain.Frame.cancel("laptop-1", cancelled, "thread-" + cancelled, 1, NOW.plusMillis(1)));

        DaemonService.Revocation revoked = service.revoke("laptop-1");

        assertEquals(List.of(waiting), revoked.failedRuns());
        assertEquals(List.of("fail:task-" + waiting + ":DaemonRevoked/daemon laptop-1 was revoked before it got the run's start frame"),
                ports.workflow.taskCalls);
        assertTrue(ports.frames.sent.isEmpty(), "every frame of it dropped");
        for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> service.frames("laptop-1", credential, null, 0),
                () -> service.report(running, credential, report("heartbeat", 1)),
                () -> service.acknowledge("laptop-1", credential, List.of("0000000000001-start-x")))) {
            assertEquals(RefusedException.Kind.UNAUTHENTICATED, assertThrows(RefusedException.class, call).kind());
        }

        RefusedException again = assertThrows(RefusedException.class, () -> service.revoke("laptop-1"));
        assertEquals("DaemonNotFound", again.code(), "nothing left of it: a repeat (or a typo) is not taken for done");
        String fresh = service.register("laptop-1").credential();
        assertEquals(List.of(), service.frames("laptop-1", fresh, null, 0).frames());
    }

    /**
     * A long poll that began before its credential was rotated (or revoked) gets no frame once it has been: the
     * credential is checked again before frames go out, so a leaked credential's poll in flight learns no input.
     */
    @Test
    void aPollInFlightWhenItsCredentialIsRotatedGetsNoFrame() throws Exception {
        InMemoryPorts.FrameBox rotatingMidPoll = new InMemoryPorts.FrameBox() {
            @Override
            public List<dev.runlane.domain.Frame> unacknowledged(String daemonId, int limit) {
                service.rotate(daemonId); // the operator rotates while the poll waits
                return super.unacknowledged(daemonId, limit);
            }
        };
        DaemonService polled = new DaemonService(ports.daemons, rotatingMidPoll, ports.runs, ports.fence, ports.workflow,
                Clock.systemUTC());
        String old = service.register("laptop-1").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        rotatingMidPoll.send(dev.runlane.domain.Frame.start("laptop-1", runId, "thread-" + runId, 1, "{\"secret\":1}", 60, NOW));

        assertEquals(RefusedException.Kind.UNAUTHENTICATED,
                assertThrows(RefusedException.class, () -> polled.frames("laptop-1", old, null, 0)).kind());
    }

    /** A revoke that died after removing the credential is finished by its repeat: the frames' part is redone. */
    @Test
    void aRepeatedRevokeFinishesWhatAnInterruptedOneLeft() {
        service.register("laptop-1");
        String waiting = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", waiting, "thread-" + waiting, 1, "{}", 60, NOW));
        ports.daemons.remove("laptop-1"); // the first revoke's first write, then it died

        assertEquals(List.of(waiting), service.revoke("laptop-1").failedRuns());
        assertTrue(ports.frames.sent.isEmpty());
    }

    @Test
    void onlyTheNewestTokenReportsAndAStaleOneIsCounted() {
        String credential = service.register("laptop-1").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 2);

        RefusedException stale = assertThrows(RefusedException.class, () -> service.report(runId, credential, report("progress", 1)));
        assertEquals("StaleFenceToken", stale.code());
        assertEquals(1, ports.runs.items.get(runId).staleWrites());
        assertTrue(ports.fence.events.isEmpty(), "nothing written");

        service.report(runId, credential, report("progress", 2));
        service.report(runId, credential, report("succeeded", 2));
        assertEquals(1, ports.fence.events.size());
        assertEquals(List.of("heartbeat:task-" + runId + ":", "succeed:task-" + runId + ":{}"), ports.workflow.taskCalls,
                "the output is stored by a fenced write, never carried by the execution");
        assertEquals("{\"ok\":true}", ports.fence.outputs.get(runId));
    }

    @Test
    void progressDataAboveOneItemsWorthIsRefusedWith413AndWritesNothing() throws Exception {
        String credential = service.register("laptop-1").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        String big = "x".repeat(DaemonService.MAX_PROGRESS_BYTES);
        RefusedException refused = assertThrows(RefusedException.class, () -> service.report(runId, credential,
                Report.of(JSON.readTree("{\"type\":\"progress\",\"fenceToken\":1,\"data\":{\"line\":\"" + big + "\"}}"))));
        assertEquals(RefusedException.Kind.TOO_LARGE, refused.kind());
        assertEquals("ProgressTooLarge", refused.code());
        assertTrue(ports.fence.events.isEmpty());
    }

    @Test
    void anOutputAboveTheLimitFailsTheRunWithOutputTooLarge() throws Exception {
        String credential = service.register("laptop-1").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        String big = "x".repeat(dev.runlane.domain.RunPayloads.MAX_OUTPUT_BYTES);
        service.report(runId, credential, Report.of(JSON.readTree("{\"type\":\"succeeded\",\"fenceToken\":1,\"output\":\"" + big + "\"}")));
        assertEquals(1, ports.workflow.taskCalls.size());
        assertTrue(ports.workflow.taskCalls.get(0).startsWith("fail:task-" + runId + ":OutputTooLarge/"), ports.workflow.taskCalls.toString());
        assertTrue(ports.fence.outputs.isEmpty(), "nothing stored");
    }

    /** Progress data is served again in events answers (3 levels deeper): past Json.MAX_DEPTH it is refused, nothing written. */
    @Test
    void progressDataNestedTooDeepIsRefusedAndWritesNothing() throws Exception {
        String credential = service.register("laptop-1").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        RefusedException refused = assertThrows(RefusedException.class, () -> service.report(runId, credential,
                Report.of(JSON.readTree("{\"type\":\"progress\",\"fenceToken\":1,\"data\":" + nested(Json.MAX_DEPTH + 1) + "}"))));
        assertEquals(RefusedException.Kind.INVALID, refused.kind());
        assertEquals("NestingTooDeep", refused.code());
        assertTrue(ports.fence.events.isEmpty());
        assertTrue(ports.workflow.taskCalls.isEmpty());
    }

    /** Like an output too large: the report is read and fails its run (a refused report would leave it to time out). */
    @Test
    void anOutputNestedTooDeepFailsTheRunWithOutputTooDeep() throws Exception {
        String credential = service.register("laptop-1").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        service.report(runId, credential, Report.of(JSON.readTree("{\"type\":\"succeeded\",\"fenceToken\":1,\"output\":"
                + nested(998) + "}")));
        assertEquals(1, ports.workflow.taskCalls.size());
        assertTrue(ports.workflow.taskCalls.get(0).startsWith("fail:task-" + runId + ":OutputTooDeep/"), ports.workflow.taskCalls.toString());
        assertTrue(ports.fence.outputs.isEmpty(), "nothing stored");
    }

    @Test
    void aReportForAnEndedRunOrTaskConflicts() {
        String credential = service.register("laptop-1").credential();
        String ended = desktopRun("laptop-1", RunStatus.CANCELLED, 1);
        assertEquals("RunEnded", assertThrows(RefusedException.class,
                () -> service.report(ended, credential, report("heartbeat", 1))).code());

        String timedOut = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        ports.workflow.endedTasks.add("task-" + timedOut);
        assertEquals("RunEnded", assertThrows(RefusedException.class,
                () -> service.report(timedOut, credential, report("failed", 1))).code());
    }

    @Test
    void startFramesOfEndedRunsAreDroppedNotDelivered() throws Exception {
        String credential = service.register("laptop-1").credential();
        String ended = desktopRun("laptop-1", RunStatus.TIMED_OUT, 1);
        String running = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", ended, "thread-" + ended, 1, "{}", 60, NOW));
        ports.frames.send(dev.runlane.domain.Frame.cancel("laptop-1", ended, "thread-" + ended, 1, NOW.plusMillis(1)));
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", running, "thread-" + running, 1, "{}", 60, NOW.plusMillis(2)));

        var batch = service.frames("laptop-1", credential, null, 0);

        assertEquals(List.of("cancel:" + ended, "start:" + running), batch.frames().stream()
                .map(f -> f.kind().name().toLowerCase() + ":" + f.runId()).toList());
        assertEquals(2, ports.frames.sent.size(), "the ended run's start frame is acknowledged for the daemon");
        assertEquals(batch.frames().get(1).frameId(), batch.cursor());
    }

    /**
     * Issue 18, item 2: a start frame whose input nests past Json.MAX_DEPTH (stored before the limit, or
     * written by other means) would put the whole answer past what a daemon's JSON reader takes. It fails
     * its own run and is dropped; the daemon's other frames are delivered.
     */
    @Test
    void aStartFrameTooDeepToServeFailsItsOwnRunAndTheOthersAreDelivered() throws Exception {
        String credential = service.register("laptop-1").credential();
        String deep = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        String fine = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", deep, "thread-" + deep, 1, nested(998), 60, NOW));
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", fine, "thread-" + fine, 1, nested(Json.MAX_DEPTH), 60,
                NOW.plusMillis(1)));

        var batch = service.frames("laptop-1", credential, null, 0);

        assertEquals(List.of(fine), batch.frames().stream().map(dev.runlane.domain.Frame::runId).toList());
        assertEquals(1, ports.workflow.taskCalls.size(), ports.workflow.taskCalls.toString());
        assertTrue(ports.workflow.taskCalls.get(0).startsWith("fail:task-" + deep + ":FrameUndeliverable/"), ports.workflow.taskCalls.toString());
        assertTrue(ports.workflow.taskCalls.get(0).contains("998 deep"), ports.workflow.taskCalls.toString());
        assertEquals(List.of(fine), ports.frames.sent.stream().map(dev.runlane.domain.Frame::runId).toList(),
                "the undeliverable frame is acknowledged after its run was failed");
    }

    /** A frame the API's writer fails on is left out of the answer: its run fails, the poll still answers. */
    @Test
    void aFrameTheWriterFailsOnFailsItsRunAndThePollStillAnswers() throws Exception {
        String credential = service.register("laptop-1").credential();
        String broken = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        String fine = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", broken, "thread-" + broken, 1, "{}", 60, NOW));
        ports.frames.send(dev.runlane.domain.Frame.cancel("laptop-1", fine, "thread-" + fine, 1, NOW.plusMillis(1)));
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", fine, "thread-" + fine, 1, "{}", 60, NOW.plusMillis(2)));

        var batch = service.frames("laptop-1", credential, null, 0, (frame, epoch) -> {
            if (frame.runId().equals(broken)) {
                throw new IllegalArgumentException("cannot be written");
            }
            return frame.kind() + ":" + frame.runId() + "@" + epoch;
        });

        assertEquals(List.of("CANCEL:" + fine + "@in-memory", "START:" + fine + "@in-memory"), batch.frames());
        assertEquals(List.of("fail:task-" + broken + ":FrameUndeliverable/its start frame could not be delivered to daemon laptop-1: "
                + "it could not be written (IllegalArgumentException)"), ports.workflow.taskCalls);
        assertEquals(2, ports.frames.sent.size(), "only the broken frame was dropped");
    }

    /** If failing the run fails too, the frame stays (the next poll tries again) and is still left out of this answer. */
    @Test
    void anUndeliverableFrameWhoseRunCannotBeFailedNowStaysForTheNextPoll() throws Exception {
        InMemoryPorts.Flow failing = new InMemoryPorts.Flow() {
            @Override
            public void fail(String taskToken, String error, String cause) {
                throw new IllegalStateException("states:SendTaskFailure throttled");
            }
        };
        DaemonService flaky = new DaemonService(ports.daemons, ports.frames, ports.runs, ports.fence, failing, Clock.systemUTC());
        String credential = flaky.register("laptop-1").credential();
        String deep = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", deep, "thread-" + deep, 1, nested(100), 60, NOW));

        assertEquals(List.of(), flaky.frames("laptop-1", credential, null, 0).frames());
        assertEquals(1, ports.frames.sent.size(), "not acknowledged while its run is not failed");
    }

    @Test
    void aFrameWrittenAfterANewerOneTheDaemonHasReadIsStillDelivered() throws Exception {
        String credential = service.register("laptop-1").credential();
        String early = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        String late = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        String cancelled = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        // A frame id is the dispatcher's clock, read before a write that may be retried: the later-stamped
        // frame commits first, and the daemon reads it (its cursor moves past the earlier id).
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", late, "thread-" + late, 1, "{}", 60, NOW.plusMillis(900)));
        var first = service.frames("laptop-1", credential, null, 0);
        assertEquals(List.of(late), first.frames().stream().map(dev.runlane.domain.Frame::runId).toList());

        // The earlier-stamped writes commit now, with ids below the cursor.
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", early, "thread-" + early, 1, "{}", 60, NOW));
        ports.frames.send(dev.runlane.domain.Frame.cancel("laptop-1", cancelled, "thread-" + cancelled, 1, NOW.plusMillis(1)));
        var next = service.frames("laptop-1", credential, first.cursor(), 0);

        assertEquals(List.of("start:" + early, "cancel:" + cancelled, "start:" + late), next.frames().stream()
                .map(f -> f.kind().name().toLowerCase() + ":" + f.runId()).toList(),
                "every unacknowledged frame, oldest first, whatever the cursor");
        assertEquals(first.cursor(), next.cursor(), "the cursor never goes back");
    }

    @Test
    void aLongPollWaitsWhileItHasOnlyFramesTheDaemonAlreadyGot() throws Exception {
        String credential = service.register("laptop-1").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        ports.frames.send(dev.runlane.domain.Frame.start("laptop-1", runId, "thread-" + runId, 1, "{}", 60, NOW));
        var first = service.frames("laptop-1", credential, null, 1);
        assertEquals(1, first.frames().size());

        long started = System.nanoTime();
        var again = service.frames("laptop-1", credential, first.cursor(), 1);
        assertEquals(1, again.frames().size(), "still unacknowledged: delivered again");
        assertTrue(System.nanoTime() - started >= 500_000_000L, "it waited for a frame after the cursor instead of spinning");
    }

    @Test
    void anAcknowledgementSaysWhichFramesThisCallRemoved() throws Exception {
        String credential = service.register("laptop-1").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        dev.runlane.domain.Frame start = dev.runlane.domain.Frame.start("laptop-1", runId, "thread-" + runId, 1, "{}", 60, NOW);
        ports.frames.send(start);
        assertEquals(60, service.frames("laptop-1", credential, null, 0).frames().get(0).heartbeatSeconds());

        assertEquals(List.of(start.frameId()), service.acknowledge("laptop-1", credential, List.of(start.frameId())));
        assertEquals(List.of(), service.acknowledge("laptop-1", credential, List.of(start.frameId())),
                "a second process acknowledging (claiming) the same frame is told it did not remove it");
    }

    @Test
    void aSecondSucceededReportOfOneTokenWithAnotherOutputIsRefused() throws Exception {
        String credential = service.register("laptop-1").credential();
        String runId = desktopRun("laptop-1", RunStatus.RUNNING, 1);
        service.report(runId, credential, report("succeeded", 1));

        Report other = Report.of(JSON.readTree("{\"type\":\"succeeded\",\"fenceToken\":1,\"output\":{\"other\":true}}"));
        RefusedException refused = assertThrows(RefusedException.class, () -> service.report(runId, credential, other));
        assertEquals(RefusedException.Kind.CONFLICT, refused.kind());
        assertEquals("AlreadySucceeded", refused.code());
        assertEquals("{\"ok\":true}", ports.fence.outputs.get(runId), "the first output stays");
        assertEquals(List.of("succeed:task-" + runId + ":{}"), ports.workflow.taskCalls, "forwarded once");

        // The very report again (a retry after an answer was lost) is the same write: forwarded again.
        service.report(runId, credential, report("succeeded", 1));
        assertEquals(2, ports.workflow.taskCalls.size());
    }

    @Test
    void badReportsAreRefused() throws Exception {
        for (String body : List.of("{\"type\":\"done\",\"fenceToken\":1}", "{\"type\":\"heartbeat\"}",
                "{\"type\":\"heartbeat\",\"fenceToken\":\"1\"}", "{\"type\":\"heartbeat\",\"fenceToken\":0}",
                "{\"type\":\"failed\",\"fenceToken\":1}", "[]")) {
            assertEquals(RefusedException.Kind.INVALID,
                    assertThrows(RefusedException.class, () -> Report.of(JSON.readTree(body)), body).kind());
        }
    }

    private String desktopRun(String daemonId, RunStatus status, long tokens) {
        String runId = "run-" + ports.runs.items.size();
        String thread = "thread-" + runId;
        for (long t = 0; t < tokens; t++) {
            ports.fence.acquire(thread, runId, (int) t + 1, NOW);
        }
        ports.runs.put(new Run(runId, thread, Target.DESKTOP, daemonId, status, 1, tokens, "arn", null,
                NOW, NOW, status.isTerminal() ? NOW : null, "seq", "receipt", "hash", 0, "task-" + runId, null));
        return runId;
    }

    private static String nested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    private static Report report(String type, long token) {
        try {
            return Report.of(JSON.readTree("{\"type\":\"" + type + "\",\"fenceToken\":" + token
                    + ",\"data\":{\"line\":\"x\"},\"output\":{\"ok\":true},\"error\":{\"code\":\"CommandFailed\",\"message\":\"exit 1\"}}"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
