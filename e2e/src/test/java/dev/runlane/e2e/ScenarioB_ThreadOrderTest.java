package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
 * they were started; and a busy thread (one long run) holds up no other thread.
 */
class ScenarioB_ThreadOrderTest extends Scenario {
    private static final int THREADS = 5;
    private static final int RUNS_PER_THREAD = 4;
    /** The busy thread's run: long, but within one attempt. */
    private static final long BUSY_MS = Math.min(10_000, (E2eStack.ATTEMPT_TIMEOUT_SECONDS - 3) * 1000L);

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void runsOfAThreadNeverOverlapAndKeepTheirOrderWhileOtherThreadsMoveOn() throws Exception {
        String busyThread = Ids.thread("b-busy");
        List<String> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(Ids.thread("b" + t));
        }
        Map<String, List<String>> issued = new ConcurrentHashMap<>();
        String busyRun;
        try (ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1)) {
            CountDownLatch go = new CountDownLatch(1);
            Future<String> busy = pool.submit(() -> {
                go.await();
                return api.startRun(busyThread, Api.simulated(BUSY_MS, 500)).path("runId").asText();
            });
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
            busyRun = busy.get(60, TimeUnit.SECONDS);
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
        JsonNode busy = api.awaitTerminal(busyRun, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", busy.path("status").asText(), busy.toString());

        Instant busyStarted = Api.time(busy, "startedAt");
        Instant busyFinished = Api.time(busy, "finishedAt");
        StringBuilder timeline = new StringBuilder("busy " + busyStarted + " .. " + busyFinished + "\n");
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
                if (i > 0) {
                    // Executed in start order, never overlapping: each run starts after the previous one ended.
                    Instant previousFinished = Api.time(runs.get(i - 1), "finishedAt");
                    Instant started = Api.time(run, "startedAt");
                    assertFalse(started.isBefore(previousFinished), "thread " + thread + ": run #" + i + " started at "
                            + started + " before run #" + (i - 1) + " finished at " + previousFinished + "\n" + timeline);
                }
            }
            // Not held up by the busy thread: this thread's first run ran while the busy one was still running.
            Instant firstStarted = Api.time(runs.get(0), "startedAt");
            assertTrue(firstStarted.isBefore(busyFinished), "thread " + thread + " waited for the busy thread: its first run"
                    + " started " + firstStarted + ", the busy run ran " + busyStarted + " .. " + busyFinished);
        }
        System.out.println("[e2e] b timeline:\n" + timeline);
    }
}
