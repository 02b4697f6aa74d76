package dev.runlane.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code runlane watch} against an in-test server that plays the run API ({@link FakeRunApi}). A live
 * watch runs in a thread; the test changes the run only once the watch's poll waits with every event
 * so far ({@link FakeRunApi#awaitCaughtUpPoll()}), so what it has printed by then is exact.
 */
class WatchTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** No waiting between retries: the tests see the retries, not the backoff. */
    private static final List<Duration> NO_DELAYS = List.of(Duration.ZERO, Duration.ZERO);
    private static final String T1 = "2026-12-01T10:00:01.000Z";
    private static final String T2 = "2026-12-01T10:00:02.000Z";
    private static final String T3 = "2026-12-01T10:00:03.000Z";
    private static final String T4 = "2026-12-01T10:00:04.000Z";

    private final ExecutorService executor = Executors.newCachedThreadPool();
    private FakeRunApi api;

    /** One watch: its exit code (once it ends), stdout and stderr. */
    private record Watching(Future<Integer> exit, ByteArrayOutputStream out, ByteArrayOutputStream err) {
        int exitCode() throws Exception {
            return exit.get(20, TimeUnit.SECONDS);
        }

        List<String> lines() {
            return out.toString(StandardCharsets.UTF_8).lines().toList();
        }

        List<String> errors() {
            return err.toString(StandardCharsets.UTF_8).lines().toList();
        }
    }

    @AfterEach
    void tearDown() {
        executor.shutdownNow();
        if (api != null) {
            api.close();
        }
    }

    private Watching watch(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Future<Integer> exit = executor.submit(() -> Watch.run(args, env,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                NO_DELAYS));
        return new Watching(exit, out, err);
    }

    private Watching watch(String... args) {
        return watch(Map.of(), args);
    }

    private String url() {
        return api.url().toString();
    }

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    /** Each expected line after the ones already seen. */
    private static List<String> plus(List<String> seen, String... more) {
        List<String> all = new ArrayList<>(seen);
        all.addAll(Arrays.asList(more));
        return all;
    }

    @Test
    void eventsArriveAcrossPollsWithTheCursorPassedBackAndTheStatusLineWhenItChanges() throws Exception {
        api = new FakeRunApi("run-1", "demo", "QUEUED", 0);
        Watching watching = watch("run-1", "--api-url", url());
        api.awaitCaughtUpPoll();
        List<String> seen = List.of("run run-1 on thread demo: QUEUED");
        assertEquals(seen, watching.lines());

        api.status("RUNNING", 1);
        api.event("progress", T1, json("{\"step\":\"compile\"}"));
        api.awaitCaughtUpPoll();
        seen = plus(seen, "run run-1 on thread demo: RUNNING (attempt 1)",
                T1 + " attempt 1 progress {\"step\":\"compile\"}");
        assertEquals(seen, watching.lines());

        // Three at once (the poll cannot run in between): more than one page holds, so two polls.
        synchronized (api) {
            api.event("progress", T2, json("{\"line\":\"two\\nlines\\t\"}"));
            api.event("progress", T3, json("[1, 2.5, null]"));
            api.event("heartbeat", T4, null);
        }
        api.awaitCaughtUpPoll();
        seen = plus(seen,
                T2 + " attempt 1 progress {\"line\":\"two\\nlines\\t\"}",
                T3 + " attempt 1 progress [1,2.5,null]",
                T4 + " attempt 1 heartbeat");
        assertEquals(seen, watching.lines());

        api.end("SUCCEEDED", null, null);
        assertEquals(Watch.EXIT_SUCCEEDED, watching.exitCode());
        assertEquals(plus(seen, "run run-1 ended: SUCCEEDED (attempt 1)"), watching.lines());
        assertEquals(Arrays.asList(null, "c1", "c3", "c4"), api.afters());
        assertEquals(List.of(), watching.errors());
    }

    @Test
    void aFailedRunEndsTheWatchWith1AndItsErrorAfterItsLastEventsWhateverThePages() throws Exception {
        api = new FakeRunApi("run-2", "t2", "RUNNING", 2);
        api.event("progress", T1, json("{\"n\":1}"));
        api.event("progress", T2, json("{\"n\":2}"));
        api.event("progress", T3, json("{\"n\":3}"));
        // The API's URL from the environment, as the runlane script passes it on.
        Watching watching = watch(Map.of("RUNLANE_API_URL", url()), "run-2", "--wait-seconds", "5");
        api.awaitCaughtUpPoll();
        List<String> seen = List.of("run run-2 on thread t2: RUNNING (attempt 2)",
                T1 + " attempt 2 progress {\"n\":1}", T2 + " attempt 2 progress {\"n\":2}",
                T3 + " attempt 2 progress {\"n\":3}");
        assertEquals(seen, watching.lines());

        // The end and three last events at once: the first ended page holds two of them.
        synchronized (api) {
            api.event("progress", T4, json("{\"n\":4}"));
            api.event("progress", T4, json("{\"n\":5}"));
            api.event("progress", T4, json("{\"n\":6}"));
            api.end("FAILED", "AgentCrashed", "exit code 3\nsee the log");
        }
        assertEquals(Watch.EXIT_ENDED_OTHERWISE, watching.exitCode());
        assertEquals(plus(seen, T4 + " attempt 2 progress {\"n\":4}", T4 + " attempt 2 progress {\"n\":5}",
                T4 + " attempt 2 progress {\"n\":6}",
                "run run-2 ended: FAILED (attempt 2), error AgentCrashed: exit code 3\\nsee the log"), watching.lines());
        assertEquals(Arrays.asList(null, "c2", "c3", "c5", "c6"), api.afters());
    }

    @Test
    void eachFailedAttemptShowsItsErrorOrThatItRecordedNoneBeforeTheNextAttemptsStatusLine() throws Exception {
        api = new FakeRunApi("run-5", "t5", "RUNNING", 1);
        Watching watching = watch("run-5", "--api-url", url());
        api.awaitCaughtUpPoll();
        List<String> seen = List.of("run run-5 on thread t5: RUNNING (attempt 1)");

        synchronized (api) {
            api.event("progress", T1, json("{\"step\":1}"));
            api.event("error", T2, json("{\"code\":\"RetryableAgentException\",\"message\":\"simulated\"}"));
        }
        api.awaitCaughtUpPoll();
        seen = plus(seen, T1 + " attempt 1 progress {\"step\":1}",
                T2 + " attempt 1 error {\"code\":\"RetryableAgentException\",\"message\":\"simulated\"}");
        assertEquals(seen, watching.lines());

        // Step Functions retried: attempt 2 writes. Its status line comes before its first event.
        synchronized (api) {
            api.status("RUNNING", 2);
            api.event("progress", T3, json("{\"step\":1}"));
        }
        api.awaitCaughtUpPoll();
        seen = plus(seen, "run run-5 on thread t5: RUNNING (attempt 2)", T3 + " attempt 2 progress {\"step\":1}");
        assertEquals(seen, watching.lines());

        // Attempt 2 timed out: no error event of its own.
        synchronized (api) {
            api.status("RUNNING", 3);
            api.event("progress", T4, json("{\"step\":1}"));
            api.end("SUCCEEDED", null, null);
        }
        assertEquals(Watch.EXIT_SUCCEEDED, watching.exitCode());
        assertEquals(plus(seen, "attempt 2 failed without recording an error (it timed out or its sandbox stopped: the"
                        + " execution history has its error)", "run run-5 on thread t5: RUNNING (attempt 3)",
                T4 + " attempt 3 progress {\"step\":1}", "run run-5 ended: SUCCEEDED (attempt 3)"), watching.lines());
    }

    @Test
    void aRunThatEndedBeforeItRanEndsTheWatchAtOnceWith1() throws Exception {
        api = new FakeRunApi("run-3", "t3", "QUEUED", 0);
        api.end("EXPIRED", "Expired", "the run was not started within 60 seconds");
        Watching watching = watch("run-3", "--api-url", url());
        assertEquals(Watch.EXIT_ENDED_OTHERWISE, watching.exitCode());
        assertEquals(List.of("run run-3 on thread t3: EXPIRED",
                "run run-3 ended: EXPIRED, error Expired: the run was not started within 60 seconds"), watching.lines());
        assertEquals(Arrays.asList((String) null), api.afters());
    }

    @Test
    void anUnknownRunIsTheApisRefusalWith2AndItsMessage() throws Exception {
        api = new FakeRunApi("run-1", "demo", "RUNNING", 1);
        Watching watching = watch("run-nope", "--api-url", url());
        assertEquals(Watch.EXIT_REFUSED, watching.exitCode());
        assertEquals(List.of(), watching.lines());
        assertEquals(List.of("runlane watch: 404 RunNotFound: no run run-nope"), watching.errors());
    }

    @Test
    void anApiThatCannotBeReachedIsRetriedThen3() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Watching watching = watch("run-1", "--api-url", "http://127.0.0.1:" + port);
        assertEquals(Watch.EXIT_UNREACHABLE, watching.exitCode());
        assertEquals(List.of(), watching.lines());
        List<String> errors = watching.errors();
        assertEquals(3, errors.size(), errors.toString());
        String prefix = "runlane watch: the API at http://127.0.0.1:" + port + " cannot be reached (ConnectException";
        assertTrue(errors.get(0).startsWith(prefix) && errors.get(0).endsWith("; retrying in 0 ms (1/2)"), errors.get(0));
        assertTrue(errors.get(1).endsWith("; retrying in 0 ms (2/2)"), errors.get(1));
        assertTrue(errors.get(2).startsWith("runlane watch: giving up: the API at http://127.0.0.1:" + port
                + " cannot be reached (ConnectException"), errors.get(2));
    }

    @Test
    void fiveHundredsAreRetriedAndTheWatchGoesOn() throws Exception {
        api = new FakeRunApi("run-4", "t4", "RUNNING", 1);
        api.event("progress", T1, json("{}"));
        api.end("SUCCEEDED", null, null);
        api.failNext(2);
        Watching watching = watch("run-4", "--api-url", url());
        assertEquals(Watch.EXIT_SUCCEEDED, watching.exitCode());
        assertEquals(List.of("run run-4 on thread t4: SUCCEEDED (attempt 1)", T1 + " attempt 1 progress {}",
                "run run-4 ended: SUCCEEDED (attempt 1)"), watching.lines());
        String retrying = "runlane watch: the API at " + url() + " answered 503 ServiceUnavailable: planned failure; retrying in 0 ms";
        assertEquals(List.of(retrying + " (1/2)", retrying + " (2/2)"), watching.errors());
    }

    @Test
    void aPollRefusedForItsCallersCapIsSentAgainAfterRetryAfterWithoutCountingAsAFailure() throws Exception {
        api = new FakeRunApi("run-4", "t4", "RUNNING", 1);
        api.event("progress", T1, json("{}"));
        api.end("SUCCEEDED", null, null);
        api.refuseNextPolls(3); // more than the two retries a failure gets
        Watching watching = watch("run-4", "--api-url", url());
        assertEquals(Watch.EXIT_SUCCEEDED, watching.exitCode());
        assertEquals(List.of("run run-4 on thread t4: SUCCEEDED (attempt 1)", T1 + " attempt 1 progress {}",
                "run run-4 ended: SUCCEEDED (attempt 1)"), watching.lines());
        assertEquals(Collections.nCopies(3, "runlane watch: 429 TooManyLongPolls: this caller already holds 10 long polls;"
                + " polling again in 1 s"), watching.errors());
    }

    @Test
    void fiveHundredsThatOutlastTheRetriesAre3() throws Exception {
        api = new FakeRunApi("run-4", "t4", "RUNNING", 1);
        api.failNext(3);
        Watching watching = watch("run-4", "--api-url", url());
        assertEquals(Watch.EXIT_UNREACHABLE, watching.exitCode());
        assertEquals("runlane watch: giving up: the API at " + url() + " answered 503 ServiceUnavailable: planned failure",
                watching.errors().get(2));
    }

    @Test
    void usageErrorsAre2WithWhatToFix() throws Exception {
        Map<List<String>, String> cases = Map.of(
                List.of(), "runlane watch: Missing required parameter: 'RUN_ID'",
                List.of("run-1", "run-2"), "runlane watch: Unmatched argument at index 1: 'run-2'",
                List.of("run/1"), "runlane watch: RUN_ID must be 1-64 letters, digits, '-' or '_', starting with a letter or digit (got 'run/1')",
                List.of("run-1", "--wait-seconds", "21"), "runlane watch: --wait-seconds must be between 0 and 20 (got 21)",
                List.of("run-1", "--wait-seconds", "soon"), "runlane watch: Invalid value for option '--wait-seconds': 'soon' is not an int",
                List.of("run-1", "--api-url", "ftp://x"), "runlane watch: --api-url must be an http(s) URL without query, e.g. http://127.0.0.1:3000 (got 'ftp://x')",
                List.of("run-1", "--bogus"), "runlane watch: Unknown option: '--bogus'");
        for (Map.Entry<List<String>, String> c : cases.entrySet()) {
            Watching watching = watch(c.getKey().toArray(String[]::new));
            assertEquals(Watch.EXIT_REFUSED, watching.exitCode(), c.getKey().toString());
            assertEquals(List.of(c.getValue(), "usage: runlane watch RUN_ID [--api-url URL] [--wait-seconds N]; --help says more"),
                    watching.errors(), c.getKey().toString());
            assertEquals(List.of(), watching.lines());
        }
    }

    @Test
    void helpIs0AndSaysTheExitCodes() throws Exception {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"run-1", "--bogus", "-h"})) {
            Watching watching = watch(args);
            assertEquals(0, watching.exitCode());
            String help = watching.out().toString(StandardCharsets.UTF_8);
            assertTrue(help.startsWith("Usage: runlane watch RUN_ID [--api-url URL] [--wait-seconds N]"), help);
            assertTrue(help.contains("RUNLANE_API_URL") && help.contains("Exit codes: 0 the run SUCCEEDED"), help);
            assertEquals(List.of(), watching.errors());
        }
    }
}
