package dev.runlane.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The daemon's loop against an in-test server that plays the daemon API contract, running real
 * {@code sh -c} commands. Each run's command is the script {@code <root>/../scripts/<runId>.sh},
 * written by the test.
 */
class DaemonTest {

    private static final String CREDENTIAL = "rld_test_secret_1234";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BOUND = Duration.ofSeconds(20);
    /**
     * How long a stdout line waits for the next before it is reported (CommandRun.PROGRESS_LINGER is 1 s): well
     * below the 1 s heartbeat, so a command's first line is reported before its first heartbeat, as the tests expect.
     */
    private static final Duration PROGRESS_LINGER = Duration.ofMillis(300);
    /** How soon a refused start frame's run must be failed. */
    private static final Duration PROMPT = Duration.ofSeconds(5);

    @TempDir
    Path temp;

    private Path root;
    private Path scripts;
    private FakeDaemonApi api;
    private final List<Running> daemons = new ArrayList<>();
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private Log log;

    /** A daemon running its loop in a thread. */
    private record Running(Daemon daemon, Thread thread, AtomicReference<Exception> failure) {
    }

    @BeforeEach
    void setUp() throws IOException {
        root = temp.resolve("root");
        scripts = Files.createDirectories(temp.resolve("scripts"));
        api = new FakeDaemonApi("d1", CREDENTIAL);
        PrintStream both = new PrintStream(new TeeStream(logBytes, System.err), true, StandardCharsets.UTF_8);
        log = new Log(both, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Running r : daemons) {
            stop(r);
        }
        api.close();
        assertFalse(logs().contains(CREDENTIAL), "the credential never shows in the logs");
    }

    @Test
    void startFrameRunsTheCommandReportsEachLineAsProgressAndTheLastLineOnlyAsOutput() throws Exception {
        script("r1", """
                read input
                echo "input $input"
                echo "env $RUNLANE_RUN_ID $RUNLANE_THREAD_ID $RUNLANE_FENCE_TOKEN"
                pwd
                echo '{"answer": 42}'
                """);
        start("d1", CREDENTIAL);
        String frame = api.addStart("r1", "t1", 3, JSON.readTree("{\"q\":1}"));

        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        List<String> lines = api.reports("r1", "progress").stream()
                .map(r -> r.body().path("data").path("line").asText()).toList();
        assertEquals(List.of("input {\"q\":1}", "env r1 t1 3", root.resolve("t1").toString()), lines,
                "the last line is the output, recorded once");
        JsonNode succeeded = api.reports("r1", "succeeded").get(0).body();
        assertEquals(JSON.readTree("{\"answer\":42}"), succeeded.get("output"));
        assertEquals(3, succeeded.get("fenceToken").asLong());
        api.reports("r1").forEach(r -> assertEquals(3, r.body().get("fenceToken").asLong()));
        assertEquals("succeeded", last(api.reports("r1")).type(), "nothing is reported after the end");
        awaitTrue("start frame acknowledged", () -> api.isAcked(frame));
        assertTrue(Files.isDirectory(root.resolve("t1")));
        assertTrue(logs().contains("INFO run r1 thread t1 token 3: started"), logs());
    }

    @Test
    void anIdleDaemonPollsWithoutWaitingAndLongPollsAgainOnceAFrameArrives() throws Exception {
        start("d1", CREDENTIAL, 1, Duration.ofMillis(500));
        awaitTrue("idle polls that do not wait", () -> api.pollWaits().stream().filter(w -> w == 0).count() >= 2);
        int before = api.pollWaits().size();
        script("r-idle", "sleep 1.5; echo done");
        api.addStart("r-idle", "t-idle", 1, null);
        awaitTrue("the run succeeded", () -> !api.reports("r-idle", "succeeded").isEmpty());
        List<Integer> since = api.pollWaits().subList(before, api.pollWaits().size());
        assertTrue(since.contains(2), "a frame and its running command make the daemon long-poll (wait 2 s): " + since);
        assertEquals(2, api.pollWaits().get(0), "a daemon starts active: " + api.pollWaits());
    }

    @Test
    void aQuietDaemonPollsEverySecondThenEveryIdleIntervalAndLogsEachChange() throws Exception {
        // The first poll is a long one (2 s): it ends in the recent window (0.3 s to 3.3 s after the start).
        start("d1", CREDENTIAL, root, 3, Duration.ofMillis(300), Duration.ofSeconds(3));
        awaitTrue("recently active", () -> logs().contains(
                "polling: no frame or command for 0.3s: a poll every 1s without waiting, for 3s"));
        awaitTrue("idle", () -> logs().contains("polling: idle (no frame or command for 3.3s): a poll every 3s without waiting"));
        List<Integer> quiet = api.pollWaits();
        assertEquals(2, quiet.get(0), "a daemon starts active: " + quiet);
        assertTrue(quiet.size() >= 2 && quiet.subList(1, quiet.size()).stream().allMatch(w -> w == 0),
                "once quiet, no poll waits: " + quiet);

        script("r-q", "echo done");
        api.addStart("r-q", "t-q", 1, null);
        awaitTrue("the run succeeded", () -> !api.reports("r-q", "succeeded").isEmpty());
        assertTrue(logs().contains("polling: active (a frame or a command): long polls of 2s"), logs());
    }

    @Test
    void lastLineThatIsNotJsonIsTheOutputAsAString() throws Exception {
        script("r1", "echo '{\"partial\": 1}'; echo 'all done'");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        assertEquals("all done", api.reports("r1", "succeeded").get(0).body().get("output").textValue());
    }

    @Test
    void aLineThatIsJsonIsReportedAsJsonNotAsAString() throws Exception {
        script("r1", """
                echo '{"token": "abc", "n": [1, 2.5]}'
                echo 'plain text'
                echo '"a JSON string"'
                echo '{"broken": '
                echo '{"done": true}'
                """);
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        List<JsonNode> data = api.reports("r1", "progress").stream().map(r -> r.body().get("data")).toList();
        assertEquals(List.of(JSON.readTree("{\"json\":{\"token\":\"abc\",\"n\":[1,2.5]}}"),
                JSON.readTree("{\"line\":\"plain text\"}"), JSON.readTree("{\"json\":\"a JSON string\"}"),
                JSON.readTree("{\"line\":\"{\\\"broken\\\": \"}")), data);
        assertEquals(JSON.readTree("{\"done\":true}"), api.reports("r1", "succeeded").get(0).body().get("output"));
    }

    @Test
    void aLineTheCommandIsQuietAfterIsReportedBeforeItsNextLine() throws Exception {
        Path release = temp.resolve("release-r1");
        script("r1", "echo waiting; while [ ! -e '" + release + "' ]; do sleep 0.05; done; echo '{\"done\":true}'");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        // Reported once it was the newest line for the linger (PROGRESS_LINGER), while the command still waits.
        awaitTrue("the waiting line reported", () -> !api.reports("r1", "progress").isEmpty());
        assertTrue(api.reports("r1", "succeeded").isEmpty());
        Files.createFile(release);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        assertEquals(List.of("waiting"), api.reports("r1", "progress").stream()
                .map(r -> r.body().path("data").path("line").asText()).toList());
        assertEquals(JSON.readTree("{\"done\":true}"), api.reports("r1", "succeeded").get(0).body().get("output"));
    }

    @Test
    void nonZeroExitReportsFailedWithTheExitCodeAndLastStderrLine() throws Exception {
        script("r1", "echo working; echo 'first problem' >&2; echo 'boom' >&2; exit 3");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1 failed", () -> !api.reports("r1", "failed").isEmpty());
        JsonNode error = api.reports("r1", "failed").get(0).body().get("error");
        assertEquals("CommandFailed", error.get("code").asText());
        assertEquals("exit code 3: boom", error.get("message").asText());
        assertTrue(api.reports("r1", "succeeded").isEmpty());
        List<FakeDaemonApi.Report> reports = api.reports("r1");
        assertEquals(List.of("progress", "failed"), reports.subList(reports.size() - 2, reports.size()).stream()
                .map(FakeDaemonApi.Report::type).toList(), "the last line is no output: it is progress, before the end");
        assertEquals("working", api.reports("r1", "progress").get(0).body().path("data").path("line").asText());
    }

    @Test
    void anOutputTooLargeForTheApiFailsTheRunAndLongProgressLinesAreCut() throws Exception {
        // A long line, then the output: an even longer one.
        script("r1", "head -c 300000 /dev/zero | tr '\\0' a; echo; head -c 300000 /dev/zero | tr '\\0' b; echo");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1 failed", () -> !api.reports("r1", "failed").isEmpty());
        assertEquals("OutputTooLarge", api.reports("r1", "failed").get(0).body().path("error").path("code").asText());
        assertEquals(CommandRun.MAX_PROGRESS_LINE_CHARS,
                api.reports("r1", "progress").get(0).body().path("data").path("line").asText().length());
    }

    @Test
    void heartbeatsWhileTheCommandRuns() throws Exception {
        Path release = temp.resolve("release-r1");
        script("r1", "while [ ! -e '" + release + "' ]; do sleep 0.05; done; echo done");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 4, null);
        // The pre-start heartbeat, then two while the command runs.
        awaitTrue("three heartbeats", () -> api.reports("r1", "heartbeat").size() >= 3);
        Files.createFile(release);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        api.reports("r1", "heartbeat").forEach(r -> assertEquals(4, r.body().get("fenceToken").asLong()));
    }

    @Test
    void cancelFrameKillsTheProcessTreeAndStopsReporting() throws Exception {
        script("r1", "sleep 300 & echo $! > child.pid; echo started; wait; echo 'never'");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1 started", () -> !api.reports("r1", "progress").isEmpty());
        long child = Long.parseLong(Files.readString(root.resolve("t1/child.pid")).trim());
        assertTrue(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false), "the child runs");

        // Its line was reported once quiet for the linger: the cancel comes after it.
        int beforeCancel = api.reports("r1").size();
        String cancel = api.addCancel("r1", "t1", 1);
        awaitTrue("child process gone", () -> gone(child));
        awaitTrue("cancel acknowledged", () -> api.isAcked(cancel));
        sentinelRun("t2");
        List<FakeDaemonApi.Report> reports = api.reports("r1");
        assertEquals("heartbeat", reports.get(0).type(), "the pre-start heartbeat comes first: " + reports);
        assertTrue(reports.subList(beforeCancel, reports.size()).stream().allMatch(r -> r.type().equals("progress")),
                "no heartbeat, succeeded or failed after the cancel: " + reports);
        assertTrue(logs().contains("run r1 thread t1 token 1: cancel frame, stopping the run"), logs());
    }

    @Test
    void conflictOnAProgressReportKillsTheRunAndStopsReporting() throws Exception {
        script("r1", "sleep 300 & echo $! > child.pid; echo line1; wait; echo never");
        api.answer409("r1", "progress");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("the 409", () -> !api.reports("r1", "progress").isEmpty());
        Path pidFile = root.resolve("t1/child.pid");
        awaitTrue("child pid written", () -> Files.exists(pidFile) && !read(pidFile).isBlank());
        long child = Long.parseLong(read(pidFile).trim());
        awaitTrue("child process gone", () -> gone(child));
        sentinelRun("t2");
        List<FakeDaemonApi.Report> reports = api.reports("r1");
        assertEquals(409, last(reports).status());
        assertEquals("progress", last(reports).type(), "nothing reported after the 409: " + reports);
        assertTrue(logs().contains("StaleFenceToken"), logs());
    }

    @Test
    void aReportAnswered403NotYourRunAbandonsThatRunOnly() throws Exception {
        script("r1", "sleep 300 & echo $! > child.pid; echo line1; wait");
        script("r2", "echo fine");
        Running r = start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        Path pidFile = root.resolve("t1/child.pid");
        awaitTrue("child pid written", () -> !read(pidFile).isBlank());
        long child = Long.parseLong(read(pidFile).trim());
        // Dispatched elsewhere once it runs here (a 403 before the start is the pre-start heartbeat's case).
        api.othersRun("r1");
        awaitTrue("the 403", () -> api.reports("r1").stream().anyMatch(report -> report.status() == 403));
        awaitTrue("child process gone", () -> gone(child));
        api.addStart("r2", "t2", 1, null);
        awaitTrue("r2 succeeded", () -> !api.reports("r2", "succeeded").isEmpty());
        assertTrue(r.thread().isAlive(), "the daemon keeps going");
        assertTrue(logs().contains("NotYourRun"), logs());
    }

    @Test
    void aRunThatEndedBeforeItsCommandStartedIsNotStarted() throws Exception {
        script("r1", "touch ../r1-ran; echo ok");
        script("r2", "touch ../r2-ran; echo ok");
        script("r0", "touch ../r0-ran; echo stale");
        api.endRun("r1");
        start("d1", CREDENTIAL);
        String frame = api.addStart("r1", "t1", 12, null);
        awaitTrue("frame acknowledged", () -> api.isAcked(frame));
        awaitTrue("the start decided", () -> logs().contains("run r1 thread t1 token 12: not started"));
        assertFalse(Files.exists(root.resolve("r1-ran")), "the ended run's command ran");
        List<FakeDaemonApi.Report> reports = api.reports("r1");
        assertEquals(1, reports.size(), reports.toString());
        assertEquals("heartbeat", reports.get(0).type());
        assertEquals(12, reports.get(0).body().get("fenceToken").asLong());
        assertEquals(409, reports.get(0).status());
        assertTrue(logs().contains("run r1 thread t1 token 12: not started: the API answered 409 RunEnded"), logs());
        assertEquals(new FenceBook.Entry(12, "r1"), daemons.get(0).daemon().highestToken("t1").orElseThrow(),
                "the ended run's token is kept: a lower one is still refused");

        String stale = api.addStart("r0", "t1", 11, null);
        awaitTrue("stale frame acknowledged", () -> api.isAcked(stale));
        assertStaleRefusal("r0", stale, 11, 12);
        api.addStart("r2", "t1", 13, null);
        awaitTrue("the thread's next run succeeded", () -> !api.reports("r2", "succeeded").isEmpty());
        assertTrue(Files.exists(root.resolve("r2-ran")));
        assertFalse(Files.exists(root.resolve("r0-ran")) || Files.exists(root.resolve("r1-ran")));
    }

    @Test
    void aRunFencedOutBeforeItsCommandStartedIsNotStarted() throws Exception {
        script("r1", "touch ../r1-ran; echo ok");
        api.answer409("r1", "heartbeat");
        start("d1", CREDENTIAL);
        String frame = api.addStart("r1", "t1", 3, null);
        awaitTrue("frame acknowledged", () -> api.isAcked(frame));
        awaitTrue("the start decided", () -> logs().contains("run r1 thread t1 token 3: not started"));
        assertFalse(Files.exists(root.resolve("r1-ran")), "the fenced-out run's command ran");
        assertEquals(List.of(409), api.reports("r1").stream().map(FakeDaemonApi.Report::status).toList());
        assertTrue(logs().contains("run r1 thread t1 token 3: not started: the API answered 409 StaleFenceToken"), logs());
    }

    @Test
    void aRunTheApiDisownsBeforeItsCommandStartedIsNotStartedAndItsTokenNotKept() throws Exception {
        script("r1", "touch ../r1-ran; echo ok");
        script("r2", "touch ../r2-ran; echo ok");
        api.othersRun("r1");
        api.unknownRun("r2");
        start("d1", CREDENTIAL);
        String first = api.addStart("r1", "t1", 5, null);
        String second = api.addStart("r2", "t2", 5, null);
        awaitTrue("frames acknowledged", () -> api.isAcked(first) && api.isAcked(second));
        awaitTrue("the starts decided", () -> logs().contains("run r1 thread t1 token 5: not started")
                && logs().contains("run r2 thread t2 token 5: not started"));
        assertFalse(Files.exists(root.resolve("r1-ran")) || Files.exists(root.resolve("r2-ran")));
        assertEquals(List.of(403), api.reports("r1").stream().map(FakeDaemonApi.Report::status).toList());
        assertEquals(List.of(404), api.reports("r2").stream().map(FakeDaemonApi.Report::status).toList());
        assertTrue(logs().contains("run r1 thread t1 token 5: not started: the API answered 403 NotYourRun"), logs());
        assertTrue(logs().contains("run r2 thread t2 token 5: not started: the API answered 404 RunNotFound"), logs());
        assertTrue(daemons.get(0).daemon().highestToken("t1").isEmpty());
        assertTrue(daemons.get(0).daemon().highestToken("t2").isEmpty());
    }

    @Test
    void aPreStartHeartbeatThatFailsIsRetriedAndTheCommandRunsOnce() throws Exception {
        script("r1", "echo x >> ../r1-runs; echo ok");
        api.failNextReports("r1", "heartbeat", 2);
        start("d1", CREDENTIAL);
        String frame = api.addStart("r1", "t1", 2, null);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        awaitTrue("frame acknowledged", () -> api.isAcked(frame));
        assertEquals(1, Files.readAllLines(root.resolve("r1-runs")).size());
        List<FakeDaemonApi.Report> reports = api.reports("r1");
        assertEquals(List.of(500, 500, 202), reports.subList(0, 3).stream().map(FakeDaemonApi.Report::status).toList(),
                reports.toString());
        assertTrue(reports.subList(0, 3).stream().allMatch(r -> r.type().equals("heartbeat")), reports.toString());
        assertEquals("succeeded", reports.get(3).type(), "the command starts after the accepted heartbeat: " + reports);
        assertTrue(logs().contains("run r1 thread t1 token 2: pre-start heartbeat not sent"), logs());
    }

    @Test
    void aPreStartHeartbeatWithoutAnAnswerGivesUpAndNothingRuns() throws Exception {
        script("r1", "echo x >> ../r1-runs; echo ok");
        api.failNextReports("r1", "heartbeat", Integer.MAX_VALUE);
        Running first = start("d1", CREDENTIAL);
        String frame = api.addStart("r1", "t1", 2, null);
        awaitTrue("gave up", () -> logs().contains("run r1 thread t1 token 2: not started: no answer to the pre-start "
                + "heartbeat within 3s"));
        int attempts = api.reports("r1").size();
        int polls = api.polls();
        awaitTrue("the daemon keeps polling", () -> api.polls() >= polls + 2);
        assertEquals(attempts, api.reports("r1").size(), "no more attempts once given up: " + api.reports("r1"));
        assertTrue(api.isAcked(frame), "the frame was claimed before the heartbeat: the run times out on the server");
        assertFalse(Files.exists(root.resolve("r1-runs")));
        assertTrue(first.daemon().highestToken("t1").isEmpty(), "the token is not recorded");
    }

    @Test
    void replayedStartFrameWithALowerTokenIsRefused() throws Exception {
        script("r1", "echo ok");
        script("r0", "touch ../r0-ran; echo stale");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 5, null);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());

        String replay = api.addStart("r0", "t1", 4, null);
        awaitTrue("replay acknowledged", () -> api.isAcked(replay));
        assertStaleRefusal("r0", replay, 4, 5);
        assertFalse(Files.exists(root.resolve("r0-ran")));
        assertTrue(logs().contains("run r0 thread t1 token 4: refused: token 4 is lower than the highest token 5"), logs());
    }

    @Test
    void aBackendResetStartsANewBookAndItsFirstRunSucceeds() throws Exception {
        start("d1", CREDENTIAL);
        succeeds("r5", "epoch-a", 5);

        // The backend lost its state: a new epoch, and the thread's tokens count from 1 again.
        String frame = succeeds("r1", "epoch-b", 1);
        awaitTrue("frame acknowledged", () -> api.isAcked(frame));
        assertEquals(List.of("heartbeat", "succeeded"),
                api.reports("r1").stream().map(FakeDaemonApi.Report::type).toList(), "its one line is the output");
        api.reports("r1").forEach(r -> assertEquals(1, r.body().get("fenceToken").asLong()));
        Daemon daemon = daemons.get(0).daemon();
        assertEquals(new FenceBook.Entry(1, "r1"), daemon.highestToken("t1", "epoch-b").orElseThrow());
        assertEquals(new FenceBook.Entry(5, "r5"), daemon.highestToken("t1", "epoch-a").orElseThrow(),
                "the earlier backend's book is kept");
    }

    @Test
    void aLowerTokenOfTheSameEpochIsNeverRunAndFailsItsRunAtOnce() throws Exception {
        start("d1", CREDENTIAL);
        succeeds("r5", "epoch-a", 5);

        Instant sent = Instant.now();
        String stale = refused("r4", "epoch-a", 4);
        FakeDaemonApi.Report failed = assertStaleRefusal("r4", stale, 4, 5);
        assertEquals(202, failed.status());
        assertTrue(failed.body().path("error").path("message").asText().contains("in backend epoch 'epoch-a'"),
                failed.body().toString());
        // Well inside the server's heartbeat window (60 s by default), after which the run would only time out.
        assertTrue(Duration.between(sent, failed.at()).compareTo(PROMPT) < 0, "failed " + Duration.between(sent, failed.at())
                + " after the frame");
        assertFalse(logs().contains("run r4 thread t1 token 4: started"), logs());
        assertEquals(new FenceBook.Entry(5, "r5"), daemons.get(0).daemon().highestToken("t1", "epoch-a").orElseThrow());
    }

    @Test
    void aLowerTokenOfAnEarlierEpochIsStillRefusedAfterFramesOfAnotherEpoch() throws Exception {
        Running first = start("d1", CREDENTIAL);
        succeeds("r5", "epoch-a", 5);
        succeeds("r1", "epoch-b", 1);
        stop(first);

        start("d1", CREDENTIAL);
        assertStaleRefusal("r4", refused("r4", "epoch-a", 4), 4, 5);
    }

    @Test
    void aFailureReportTheApiRefusesIsLoggedOnceAndTheFrameAcknowledged() throws Exception {
        api.answer409("r4", "failed");
        start("d1", CREDENTIAL);
        succeeds("r5", "epoch-a", 5);

        assertEquals(409, assertStaleRefusal("r4", refused("r4", "epoch-a", 4), 4, 5).status());
        assertTrue(logs().contains("run r4 thread t1 token 4: the API answered 409 StaleFenceToken"), logs());
    }

    @Test
    void theSameTokenForAnotherRunIsNeverRunAndFailsItsRunAsAConflict() throws Exception {
        start("d1", CREDENTIAL);
        succeeds("r5", "epoch-a", 5);

        JsonNode error = onlyFailure("rx", refused("rx", "epoch-a", 5), 5).body().path("error");
        assertEquals("FenceTokenConflict", error.path("code").asText());
        assertTrue(error.path("message").asText().contains("token 5, the highest token seen for thread t1 in backend "
                + "epoch 'epoch-a', was already given to run r5"), error.toString());
    }

    @Test
    void startFrameSeenTwiceRunsOnce() throws Exception {
        script("r1", "echo x >> ../r1-runs; echo ok");
        start("d1", CREDENTIAL);
        String first = api.addStart("r1", "t1", 2, null);
        String second = api.addStart("r1", "t1", 2, null);
        awaitTrue("both acknowledged", () -> api.isAcked(first) && api.isAcked(second));
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        assertEquals(1, Files.readAllLines(root.resolve("r1-runs")).size());
        assertEquals(1, api.reports("r1", "succeeded").size());
    }

    @Test
    void twoStartFramesForOneDirectoryNeverOverlap() throws Exception {
        Path times = root.resolve("times");
        script("r1", """
                trap 'trap "" TERM; echo "end r1 $(date +%s%N)" >> ../times; exit 143' TERM
                echo "start r1 $(date +%s%N)" >> ../times
                sleep 300 & echo $! > ../r1.child
                wait
                """);
        script("r2", """
                echo "start r2 $(date +%s%N)" >> ../times
                state=$(sed 's/.*) //' "/proc/$(cat ../r1.child)/stat" 2>/dev/null | cut -c1)
                if [ -n "$state" ] && [ "$state" != Z ]; then echo "overlap $state" >> ../times; fi
                echo "end r2 $(date +%s%N)" >> ../times
                echo done
                """);
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1 started", () -> Files.exists(root.resolve("r1.child")) && read(times).contains("start r1"));
        api.addStart("r2", "t1", 2, null);
        awaitTrue("r2 succeeded", () -> !api.reports("r2", "succeeded").isEmpty());

        List<String> lines = Files.readAllLines(times);
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("overlap")), "r1's child still ran when r2 started: " + lines);
        long r1Start = time(lines, "start r1");
        long r1End = time(lines, "end r1");
        long r2Start = time(lines, "start r2");
        long r2End = time(lines, "end r2");
        assertTrue(r1Start < r1End && r1End <= r2Start && r2Start <= r2End, lines.toString());
        assertTrue(api.reports("r1", "succeeded").isEmpty() && api.reports("r1", "failed").isEmpty(),
                "the superseded run reports no end: " + api.reports("r1"));
        assertTrue(logs().contains("run r2 thread t1 token 2: supersedes run r1 thread t1 token 1"), logs());
    }

    @Test
    void differentDirectoriesRunConcurrently() throws Exception {
        // Each waits for the other to have started: they can only both finish if they run at once.
        for (String[] pair : new String[][] {{"ra", "rb"}, {"rb", "ra"}}) {
            script(pair[0], "touch ../" + pair[0] + ".up; i=0; while [ ! -e ../" + pair[1]
                    + ".up ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; [ -e ../" + pair[1] + ".up ] && echo met");
        }
        start("d1", CREDENTIAL);
        api.addStart("ra", "ta", 1, null);
        api.addStart("rb", "tb", 1, null);
        awaitTrue("both succeeded", () -> !api.reports("ra", "succeeded").isEmpty() && !api.reports("rb", "succeeded").isEmpty());
        assertEquals("met", api.reports("ra", "succeeded").get(0).body().get("output").asText());
    }

    @Test
    void restartedDaemonStillRefusesALowerTokenAndDoesNotRerunAReplayedFrame() throws Exception {
        script("r7", "echo x >> ../r7-runs; echo ok");
        script("r6", "touch ../r6-ran");
        Running first = start("d1", CREDENTIAL);
        api.addStart("r7", "t1", 7, null);
        awaitTrue("r7 succeeded", () -> !api.reports("r7", "succeeded").isEmpty());
        stop(first);

        start("d1", CREDENTIAL);
        String replay = api.addStart("r7", "t1", 7, null);
        awaitTrue("the replayed frame acknowledged", () -> api.isAcked(replay));
        String stale = api.addStart("r6", "t1", 6, null);
        awaitTrue("stale frame acknowledged", () -> api.isAcked(stale));
        assertEquals(1, Files.readAllLines(root.resolve("r7-runs")).size(), "r7 ran once");
        assertFalse(Files.exists(root.resolve("r6-ran")));
        assertStaleRefusal("r6", stale, 6, 7);
        assertTrue(logs().contains("run r7 thread t1 token 7: already started under this token"), logs());
        assertTrue(logs().contains("run r6 thread t1 token 6: refused: token 6 is lower than the highest token 7"), logs());
    }

    @Test
    void invalidThreadIdIsRefusedAndTheRunFailed() throws Exception {
        script("r1", "touch ran; echo ok");
        start("d1", CREDENTIAL);
        String frame = api.addStart("r1", "../escape", 1, null);
        awaitTrue("acknowledged", () -> api.isAcked(frame));
        awaitTrue("failed reported", () -> !api.reports("r1", "failed").isEmpty());
        assertEquals("InvalidThreadId", api.reports("r1", "failed").get(0).body().path("error").path("code").asText());
        assertFalse(Files.exists(temp.resolve("escape")));
        assertFalse(Files.exists(root.resolve("../escape/ran")));
    }

    @Test
    void pollFailuresAreRetriedWithBackoff() throws Exception {
        script("r1", "echo ok");
        api.failNextPolls(3);
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        assertTrue(api.polls() >= 4);
        assertTrue(logs().contains("polling frames failed (ApiException: GET frames answered 500 InternalError"), logs());
    }

    @Test
    void aLongPollRefusedForTheCallersCapIsFollowedByAPollWithoutWaitingAfterRetryAfter() throws Exception {
        script("r1", "echo ok");
        api.refuseNextLongPolls(1);
        api.addStart("r1", "t1", 1, null);
        start("d1", CREDENTIAL);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        List<Integer> waits = api.pollWaits();
        assertTrue(waits.get(0) > 0, "it long-polls: " + waits);
        assertEquals(0, waits.get(1), "then, refused, polls without waiting (no slot needed): " + waits);
        assertTrue(logs().contains("TooManyLongPolls"), logs());
        assertTrue(logs().contains("polling without waiting in 1 s"), logs());
    }

    @Test
    void unknownCredentialStopsTheDaemon() throws Exception {
        Running r = start("d1", "rld_wrong");
        awaitTrue("daemon stopped", () -> !r.thread().isAlive());
        assertInstanceOf(ApiClient.CredentialRejected.class, r.failure().get());
        assertTrue(r.failure().get().getMessage().contains("401"), r.failure().get().getMessage());
        assertEquals(1, api.authFailures(), "no retry loop with a wrong credential");
        assertFalse(logs().contains("rld_wrong"));
    }

    @Test
    void anotherDaemonsCredentialStopsTheDaemon() throws Exception {
        Running r = start("d1", "rld_other");
        awaitTrue("daemon stopped", () -> !r.thread().isAlive());
        assertInstanceOf(ApiClient.CredentialRejected.class, r.failure().get());
        assertTrue(r.failure().get().getMessage().contains("403"), r.failure().get().getMessage());
    }

    @Test
    void stoppingTheDaemonKillsItsCommands() throws Exception {
        script("r1", "sleep 300 & echo $! > child.pid; echo started; wait");
        Running r = start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1 started", () -> !api.reports("r1", "progress").isEmpty());
        long child = Long.parseLong(Files.readString(root.resolve("t1/child.pid")).trim());
        stop(r);
        assertTrue(gone(child), "the command's child is gone once close() returned");
        assertTrue(api.reports("r1", "failed").isEmpty() && api.reports("r1", "succeeded").isEmpty());
    }

    @Test
    void aSecondDaemonOnTheSameRootRefusesToRun() throws Exception {
        start("d1", CREDENTIAL);
        awaitTrue("first daemon polling", () -> api.polls() >= 1);
        Running second = start("d1", CREDENTIAL);
        awaitTrue("second daemon stopped", () -> !second.thread().isAlive());
        assertInstanceOf(RootLock.RootInUse.class, second.failure().get());
    }

    @Test
    void aCommandLeftRunningByACrashedDaemonIsKilledAtStart() throws Exception {
        Process leftover = new ProcessBuilder("sh", "-c", "sleep 300 & wait").start();
        awaitTrue("leftover child forked", () -> leftover.toHandle().children().findAny().isPresent());
        long child = leftover.toHandle().children().findFirst().orElseThrow().pid();
        new RunningRecords(root, log).record("t1", new RunRef("r0", "t1", 1), leftover.toHandle());

        start("d1", CREDENTIAL);
        awaitTrue("leftover killed", () -> !leftover.isAlive() && gone(child));
        awaitTrue("record removed", () -> !Files.exists(root.resolve(".runlane/running/t1")));
        assertTrue(logs().contains("thread t1: a previous daemon left pid " + leftover.pid()), logs());
    }

    @Test
    void theRunningRecordIsKeptWhileTheCommandRunsAndRemovedAfter() throws Exception {
        Path release = temp.resolve("release-r1");
        script("r1", "while [ ! -e '" + release + "' ]; do sleep 0.05; done; echo done");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        Path record = root.resolve(".runlane/running/t1");
        awaitTrue("record written", () -> Files.exists(record));
        assertEquals("r1", JSON.readTree(record.toFile()).get("runId").asText());
        Files.createFile(release);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        awaitTrue("record removed", () -> !Files.exists(record));
    }

    @Test
    void twoProcessesOfOneDaemonRunEachStartFrameOnce() throws Exception {
        Path ran = Files.createDirectories(temp.resolve("ran"));
        List<String> runs = List.of("p1", "p2", "p3", "p4", "p5", "p6");
        for (String runId : runs) {
            script(runId, "echo \"$PWD\" >> '" + ran + "'/" + runId + "; echo ok");
        }
        start("d1", CREDENTIAL);
        start("d1", CREDENTIAL, temp.resolve("root-2"), 0, Duration.ofSeconds(60));
        awaitTrue("both processes poll", () -> api.polls() >= 2);
        for (int i = 0; i < runs.size(); i++) {
            api.addStart(runs.get(i), "t" + i, 1, null);
        }
        awaitTrue("every run succeeded", () -> runs.stream().noneMatch(r -> api.reports(r, "succeeded").isEmpty()));
        sentinelRun("t-last");
        for (String runId : runs) {
            assertEquals(1, Files.readAllLines(ran.resolve(runId)).size(), runId + " ran more than once: " + read(ran.resolve(runId)));
            assertEquals(1, api.reports(runId, "succeeded").size(), api.reports(runId).toString());
        }
        assertTrue(logs().contains("claimed by another process of daemon d1"), logs());
    }

    @Test
    void aStartFrameRunsOnlyOnceItsClaimSucceeded() throws Exception {
        script("r1", "echo x >> ../r1-runs; echo ok");
        api.failAcks(true);
        start("d1", CREDENTIAL);
        String frame = api.addStart("r1", "t1", 1, null);
        awaitTrue("the claim failed", () -> logs().contains("run r1 thread t1 token 1: not started: the claim of its start frame got no answer"));
        int polls = api.polls();
        awaitTrue("polls go on", () -> api.polls() >= polls + 2);
        assertFalse(Files.exists(root.resolve("r1-runs")), "the command started before its frame was claimed");
        assertTrue(api.reports("r1").isEmpty(), "nothing is sent for a run before its frame is claimed: " + api.reports("r1"));

        api.failAcks(false);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        assertTrue(api.isAcked(frame));
        assertEquals(1, Files.readAllLines(root.resolve("r1-runs")).size());
    }

    @Test
    void aFrameWhoseAcknowledgementFailedIsAcknowledgedAgainNotHandledAgain() throws Exception {
        api.failAcks(true);
        start("d1", CREDENTIAL);
        String cancel = api.addCancel("r9", "t9", 1);
        String handled = "run r9 thread t9 token 1: cancel frame for a run that is not running here";
        awaitTrue("the cancel handled", () -> logs().contains(handled));
        awaitTrue("its ack given up", () -> logs().contains("frame " + cancel + " not acknowledged"));
        int polls = api.polls();
        awaitTrue("the frame delivered again", () -> api.polls() >= polls + 2);
        api.failAcks(false);
        awaitTrue("acknowledged", () -> api.isAcked(cancel));
        assertEquals(1, logs().lines().filter(l -> l.contains(handled)).count(), logs());
    }

    @Test
    void aCommandWhoseRunCannotBeHeartbeatedIsStoppedWithinTheHeartbeatWindow() throws Exception {
        api.heartbeatSeconds(3);
        script("r1", "echo $$ > ../r1.pid; while :; do sleep 0.05; done");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        Path pidFile = root.resolve("r1.pid");
        awaitTrue("r1 runs", () -> !read(pidFile).isBlank());
        long pid = Long.parseLong(read(pidFile).trim());
        // The network goes down: no report reaches the API any more.
        api.failNextReports("r1", "heartbeat", Integer.MAX_VALUE);
        Instant lastAccepted = last(api.reports("r1", "heartbeat").stream().filter(r -> r.status() == 202).toList()).at();

        awaitTrue("the command stopped", () -> gone(pid));
        Duration after = Duration.between(lastAccepted, Instant.now());
        assertTrue(after.compareTo(Duration.ofSeconds(3)) < 0, "stopped " + after + " after the last accepted heartbeat; "
                + "the server times the run out 3 s after it");
        assertTrue(logs().contains("run r1 thread t1 token 1: abandoned (no report accepted for"), logs());
        assertTrue(api.reports("r1", "succeeded").isEmpty() && api.reports("r1", "failed").isEmpty(), api.reports("r1").toString());
    }

    @Test
    void aPreStartHeartbeatAnsweredLateIsSentAgainBeforeTheCommandStarts() throws Exception {
        // The command may go 2 s without an accepted report: a 202 that took 2.5 s would leave it none (DesktopScenarioK
        // under load: a cold API answered the pre-start heartbeat after 15 s of a 10 s window, and the command was
        // stopped the moment it started).
        api.heartbeatSeconds(3);
        api.slowNextReports("r1", "heartbeat", 1, Duration.ofMillis(2_500));
        script("r1", "echo x >> ../r1-runs; echo done");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        List<FakeDaemonApi.Report> reports = api.reports("r1");
        assertEquals(List.of("heartbeat", "heartbeat", "succeeded"), reports.subList(0, 3).stream().map(FakeDaemonApi.Report::type).toList(),
                reports.toString());
        assertEquals(1, Files.readAllLines(root.resolve("r1-runs")).size());
        assertTrue(logs().contains("run r1 thread t1 token 1: the pre-start heartbeat was answered after 2."), logs());
        assertFalse(logs().contains("no report accepted"), logs());
    }

    @Test
    void aCommandWhoseHeartbeatsAreAcceptedRunsPastTheHeartbeatWindow() throws Exception {
        api.heartbeatSeconds(3); // stopped after 2 s without an accepted report; heartbeats every 1 s
        script("r1", "sleep 4; echo done");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1 succeeded", () -> !api.reports("r1", "succeeded").isEmpty());
        assertEquals("done", api.reports("r1", "succeeded").get(0).body().get("output").asText());
        assertFalse(logs().contains("no report accepted") || logs().contains("is not well below"), logs());
    }

    @Test
    void aStartWaitsUntilTheKilledCommandsWholeTreeIsGone() throws Exception {
        // r1's child ignores SIGTERM: once r1 is abandoned its shell dies at once, the child only at the SIGKILL.
        script("r1", "echo $$ > ../r1.pid; (trap '' TERM; while :; do sleep 0.05; done) & echo $! > ../r1.child; echo up; wait");
        script("r2", """
                state=$(sed 's/.*) //' "/proc/$(cat ../r1.child)/stat" 2>/dev/null | cut -c1)
                if [ -n "$state" ] && [ "$state" != Z ]; then echo "overlap $state" >> ../r2.saw; fi
                echo done
                """);
        api.answer409("r1", "progress");
        start("d1", CREDENTIAL);
        api.addStart("r1", "t1", 1, null);
        awaitTrue("r1's child runs", () -> !read(root.resolve("r1.child")).isBlank());
        long shell = Long.parseLong(read(root.resolve("r1.pid")).trim());
        long child = Long.parseLong(read(root.resolve("r1.child")).trim());
        awaitTrue("the 409 killed r1's shell", () -> gone(shell));
        assertFalse(gone(child), "the child outlives the SIGTERM (until the SIGKILL after the grace)");
        api.addStart("r2", "t1", 2, null);
        awaitTrue("r2 succeeded", () -> !api.reports("r2", "succeeded").isEmpty());
        assertEquals("", read(root.resolve("r2.saw")), "r2 started while r1's child still ran");
    }

    // ---- helpers ----

    /** Runs a command for the run in thread t1 under a start frame of the epoch; returns the frame's id once it succeeded. */
    private String succeeds(String runId, String epoch, long token) throws IOException {
        Path ran = root.resolve(runId + "-ran");
        script(runId, "touch '" + ran + "'; echo " + runId);
        String frame = api.addStart(runId, "t1", epoch, token);
        awaitTrue(runId + " succeeded", () -> !api.reports(runId, "succeeded").isEmpty());
        assertTrue(Files.exists(ran), runId + "'s command ran");
        return frame;
    }

    /** A start frame for the run in thread t1 that the daemon must refuse; returns its id once it is acknowledged. */
    private String refused(String runId, String epoch, long token) throws IOException {
        Path ran = root.resolve(runId + "-ran");
        script(runId, "touch '" + ran + "'; echo " + runId);
        String frame = api.addStart(runId, "t1", epoch, token);
        awaitTrue(runId + "'s frame acknowledged", () -> api.isAcked(frame));
        assertFalse(Files.exists(ran), "the refused frame's command ran");
        return frame;
    }

    /** The one report of a start frame refused as stale: failed, StaleFenceToken, naming both tokens. */
    private FakeDaemonApi.Report assertStaleRefusal(String runId, String frameId, long token, long highest) {
        FakeDaemonApi.Report failed = onlyFailure(runId, frameId, token);
        JsonNode error = failed.body().path("error");
        assertEquals("StaleFenceToken", error.path("code").asText());
        assertTrue(error.path("message").asText().contains("token " + token + " is lower than the highest token " + highest),
                error.toString());
        return failed;
    }

    /** The only report of a refused start frame's run: failed, under the frame's token, sent before the frame's ack. */
    private FakeDaemonApi.Report onlyFailure(String runId, String frameId, long token) {
        List<FakeDaemonApi.Report> reports = api.reports(runId);
        assertEquals(List.of("failed"), reports.stream().map(FakeDaemonApi.Report::type).toList(),
                "no heartbeat, progress or end, only the failure: " + reports);
        FakeDaemonApi.Report failed = reports.get(0);
        assertEquals(token, failed.body().path("fenceToken").asLong());
        assertFalse(failed.at().isAfter(api.ackedAt(frameId)), "the failure is sent before the frame's ack");
        return failed;
    }

    private Running start(String daemonId, String credential) {
        return start(daemonId, credential, 0, Duration.ofSeconds(60));
    }

    private Running start(String daemonId, String credential, int idlePollSeconds, Duration activeWindow) {
        return start(daemonId, credential, root, idlePollSeconds, activeWindow);
    }

    private Running start(String daemonId, String credential, Path root, int idlePollSeconds, Duration activeWindow) {
        return start(daemonId, credential, root, idlePollSeconds, activeWindow, Duration.ZERO);
    }

    private Running start(String daemonId, String credential, Path root, int idlePollSeconds, Duration activeWindow,
                          Duration recentWindow) {
        DaemonConfig config = new DaemonConfig(api.url(), daemonId, credential, root,
                "sh '" + scripts + "'/\"$RUNLANE_RUN_ID\".sh", 1, 2, idlePollSeconds, 1);
        Daemon daemon = new Daemon(config, new ApiClient(config.apiUrl(), daemonId, credential), log,
                Duration.ofMillis(50), Duration.ofMillis(400), activeWindow, recentWindow, PROGRESS_LINGER);
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                daemon.run();
            } catch (Exception e) {
                failure.set(e);
            }
        }, "daemon-loop");
        thread.start();
        Running r = new Running(daemon, thread, failure);
        daemons.add(r);
        return r;
    }

    private void stop(Running r) throws InterruptedException {
        r.daemon().close();
        r.thread().join(BOUND.toMillis());
        assertFalse(r.thread().isAlive(), "the daemon loop stops");
    }

    /** Runs a command that outlasts a heartbeat interval on another thread and waits for its end. */
    private void sentinelRun(String threadId) throws IOException {
        String runId = "sentinel-" + threadId;
        script(runId, "sleep 1.5; echo sentinel");
        api.addStart(runId, threadId, 1, null);
        awaitTrue("sentinel succeeded", () -> !api.reports(runId, "succeeded").isEmpty());
    }

    private void script(String runId, String body) throws IOException {
        Files.writeString(scripts.resolve(runId + ".sh"), body);
    }

    private String logs() {
        synchronized (logBytes) {
            return logBytes.toString(StandardCharsets.UTF_8);
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static long time(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix + " ")).findFirst()
                .map(l -> Long.parseLong(l.substring(prefix.length() + 1).trim()))
                .orElseGet(() -> fail("no '" + prefix + "' in " + lines));
    }

    private static <T> T last(List<T> list) {
        assertFalse(list.isEmpty());
        return list.get(list.size() - 1);
    }

    /** Gone: no such process, or a zombie (dead, only not yet reaped). */
    static boolean gone(long pid) {
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            String stat = read(Path.of("/proc/" + pid + "/stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && stat.length() > close + 2 && stat.charAt(close + 2) == 'Z';
        }
        return true;
    }

    static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + BOUND.toSeconds() + "s waiting for: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    /** Writes to two streams: the test's captured log and stderr (visible in the surefire report). */
    private static final class TeeStream extends java.io.OutputStream {
        private final ByteArrayOutputStream captured;
        private final java.io.OutputStream other;

        TeeStream(ByteArrayOutputStream captured, java.io.OutputStream other) {
            this.captured = captured;
            this.other = other;
        }

        @Override
        public void write(int b) throws IOException {
            synchronized (captured) {
                captured.write(b);
            }
            other.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (captured) {
                captured.write(b, off, len);
            }
            other.write(b, off, len);
        }
    }
}
