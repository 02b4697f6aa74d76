package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * b. 5 threads x 4 simulated runs, all started concurrently (each thread's starts issued one after
 * another): all succeed; no two runs of a thread overlap; each thread's runs execute in the order
 * they were started; and a busy thread holds up no other thread: all 20 runs start and finish while
 * the busy thread's one long run (a desktop run whose reference daemon runs {@code sleep 3600} and
 * heartbeats) is still running.
 */
class ScenarioB_ThreadOrderIT extends Scenario {
    private static final int THREADS = 5;
    private static final int RUNS_PER_THREAD = 4;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void runsOfAThreadNeverOverlapAndKeepTheirOrderWhileOtherThreadsMoveOn() throws Exception {
        // The busy thread: one run that stays RUNNING, its daemon's command sleeping and the daemon heartbeating
        // (the stack's heartbeat window is short: a silent daemon's run would time out during the scenario).
        try (DesktopDaemon daemon = DesktopDaemon.register(api, "b")) {
            daemon.start("sleep 3600");
            busyThreadHoldsUpNoOtherThread(daemon);
        }
    }

    private void busyThreadHoldsUpNoOtherThread(DesktopDaemon daemon) throws Exception {
        String busyThread = Ids.thread("b-busy");
        ObjectNode desktop = Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("task", "stay busy"));
        String busyRun = api.startRun(busyThread, desktop).path("runId").asText();
        JsonNode busyRunning = Poll.until(Duration.ofSeconds(30), "the busy run " + busyRun + " is dispatched",
                () -> api.run(busyRun), r -> "RUNNING".equals(r.path("status").asText()) && r.path("startedAt").isTextual());

        List<String> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(Ids.thread("b" + t));
        }
        Map<String, List<String>> issued = new ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> starts = new ArrayList<>();
            for (String thread : threads) {
                starts.add(pool.submit(() -> {
                    go.await();
                    List<String> ids = new ArrayList<>();
                    for (int i = 0; i < RUNS_PER_THREAD; i++) {
                        ids.add(api.startRun(thread, Api.simulated(600, 200)).path("runId").asText());
                    }
                    issued.put(thread, ids);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> start : starts) {
                start.get(60, TimeUnit.SECONDS);
            }
        }

        // All succeed.
        Map<String, List<JsonNode>> ended = new ConcurrentHashMap<>();
        for (String thread : threads) {
            List<JsonNode> runs = new ArrayList<>();
            for (String runId : issued.get(thread)) {
                JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(120));
                assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
                runs.add(run);
            }
            ended.put(thread, runs);
        }
        // ... while the busy thread's run was running all along.
        JsonNode busy = api.run(busyRun);
        assertEquals("RUNNING", busy.path("status").asText(), "the busy run still runs: " + busy + "\n" + daemon.log());
        Instant busyStarted = Api.time(busyRunning, "startedAt");

        StringBuilder timeline = new StringBuilder("busy (desktop, still RUNNING) from " + busyStarted + "\n");
        for (String thread : threads) {
            List<JsonNode> runs = ended.get(thread);
            // The list endpoint gives the queue order; it is the order the starts were issued.
            List<String> listed = api.threadRuns(thread).stream().map(r -> r.path("runId").asText()).toList();
            assertEquals(issued.get(thread), listed, "thread " + thread + ": queue order is the start order");
            for (int i = 0; i < runs.size(); i++) {
                JsonNode run = runs.get(i);
                timeline.append(thread).append(" #").append(i).append(' ').append(run.path("startedAt").asText())
                        .append(" .. ").append(run.path("finishedAt").asText()).append('\n');
                assertEquals(1, run.path("attempts").asInt(), "one attempt each: " + run);
                assertTrue(Api.time(run, "startedAt").isAfter(busyStarted), run.toString());
                if (i > 0) {
                    // Executed in start order, never overlapping: each run starts after the previous one ended.
                    Instant previousFinished = Api.time(runs.get(i - 1), "finishedAt");
                    Instant started = Api.time(run, "startedAt");
                    assertFalse(started.isBefore(previousFinished), "thread " + thread + ": run #" + i + " started at "
                            + started + " before run #" + (i - 1) + " finished at " + previousFinished + "\n" + timeline);
                }
            }
        }
        System.out.println("[e2e] b timeline:\n" + timeline);
        // Threads run side by side: some runs of different threads overlapped in time.
        List<JsonNode> firsts = threads.stream().map(t -> ended.get(t).get(0)).toList();
        boolean parallel = false;
        for (JsonNode a : firsts) {
            for (JsonNode b : firsts) {
                parallel |= a != b && Api.time(a, "startedAt").isBefore(Api.time(b, "finishedAt"))
                        && Api.time(b, "startedAt").isBefore(Api.time(a, "finishedAt"));
            }
        }
        assertTrue(parallel, "the threads' first runs all ran one after another:\n" + timeline);

        // The busy thread is freed by cancelling its run.
        Api.Response cancelled = api.cancel(busyRun);
        assertEquals(200, cancelled.status(), cancelled.toString());
        assertEquals("CANCELLED", cancelled.body().path("status").asText(), cancelled.toString());
    }
}
