package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chaos h. Load under faults: many threads of short hosted runs while sandboxes are killed,
 * invocations throttled and delayed at random: no run lost, none FAILED, none stuck, no two runs of
 * a thread overlapping, every thread's runs executed in the order they were started.
 */
class ChaosH_LoadUnderFaultsIT extends ChaosScenario {
    static final int THREADS = 30;
    static final int RUNS = 8;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void manyThreadsUnderRandomKillsThrottlesAndDelaysLoseNothingAndNeverOverlap() throws Exception {
        faults.add(Faults.fault("kill", HOSTED, 12).put("probability", 0.04).put("afterMs", 100))
                .add(Faults.fault("throttle", HOSTED, 12).put("probability", 0.04))
                .add(Faults.fault("delay", HOSTED, 12).put("probability", 0.05).put("delayMs", 1500))
                .add(Faults.fault("kill", FINALIZE, 6).put("probability", 0.03).put("afterMs", 0))
                .add(Faults.fault("throttle", FINALIZE, 6).put("probability", 0.03));
        Instant began = Instant.now();
        Map<String, List<String>> threads = new LinkedHashMap<>();
        ExecutorService starters = Executors.newFixedThreadPool(6);
        try {
            List<Future<Map.Entry<String, List<String>>>> started = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                String thread = Ids.thread("ch" + t);
                started.add(starters.submit(() -> {
                    List<String> runIds = new ArrayList<>();
                    for (int r = 0; r < RUNS; r++) {
                        // An idempotency key per run: a start the API may answer 5xx to under faults can be repeated.
                        runIds.add(startOnce(thread, "r" + r));
                    }
                    return Map.entry(thread, runIds);
                }));
            }
            for (Future<Map.Entry<String, List<String>>> f : started) {
                Map.Entry<String, List<String>> entry = f.get(2, TimeUnit.MINUTES);
                threads.put(entry.getKey(), entry.getValue());
            }
        } finally {
            starters.shutdownNow();
        }

        Map<String, Integer> statuses = new TreeMap<>();
        Map<Integer, Integer> attempts = new TreeMap<>();
        int overlaps = 0;
        int outOfOrder = 0;
        for (Map.Entry<String, List<String>> thread : threads.entrySet()) {
            List<JsonNode> runs = new ArrayList<>();
            for (String runId : thread.getValue()) {
                runs.add(api.awaitTerminal(runId, Duration.ofMinutes(8)));
            }
            List<JsonNode> listed = api.threadRuns(thread.getKey());
            assertEquals(thread.getValue(), listed.stream().map(r -> r.path("runId").asText()).toList(),
                    "queue order is start order on " + thread.getKey());
            for (int i = 0; i < runs.size(); i++) {
                JsonNode run = runs.get(i);
                statuses.merge(run.path("status").asText(), 1, Integer::sum);
                attempts.merge(run.path("attempts").asInt(), 1, Integer::sum);
                if (run.path("attempts").asInt() >= 3 || !"SUCCEEDED".equals(run.path("status").asText())) {
                    // What hit a run that needed many attempts: the failed Tasks of its execution.
                    System.out.printf("[e2e] chaos h: run %s %s after %d attempts; failed tasks: %s%n", run.path("runId").asText(),
                            run.path("status").asText(), run.path("attempts").asInt(),
                            stack.history(run.path("executionArn").asText()).stream()
                                    .filter(e -> e.taskFailedEventDetails() != null || e.taskTimedOutEventDetails() != null)
                                    .map(e -> e.taskFailedEventDetails() != null ? e.taskFailedEventDetails().error() : "States.Timeout")
                                    .toList());
                }
                if (i > 0) {
                    Instant previousEnd = Api.time(runs.get(i - 1), "finishedAt");
                    Instant start = Api.time(run, "startedAt");
                    if (start != null && start.isBefore(previousEnd)) {
                        overlaps++;
                    }
                    if (start != null && start.isBefore(Api.time(runs.get(i - 1), "startedAt"))) {
                        outOfOrder++;
                    }
                }
            }
        }
        Duration took = Duration.between(began, Instant.now());
        int total = THREADS * RUNS;
        System.out.printf("[e2e] chaos h: %d threads x %d runs in %.1f s (%.2f runs/s): statuses %s, attempts %s, "
                        + "overlaps %d, out of order %d, faults fired: kill %d, throttle %d, delay %d%n",
                THREADS, RUNS, took.toMillis() / 1000.0, total * 1000.0 / took.toMillis(), statuses, attempts, overlaps,
                outOfOrder, faults.fired("kill"), faults.fired("throttle"), faults.fired("delay"));
        assertEquals(Map.of("SUCCEEDED", total), statuses, "0 lost, 0 FAILED, 0 stuck");
        assertEquals(0, overlaps, "runs of a thread overlapped");
        assertEquals(0, outOfOrder, "runs of a thread executed out of order");
        assertTrue(faults.fired("kill") + faults.fired("throttle") + faults.fired("delay") > 0, "no fault fired: " + faults);
        assertFalse(attempts.isEmpty());
    }

    private static String startOnce(String thread, String key) {
        JsonNode input = Api.JSON.createObjectNode().put("agent", "simulated").put("durationMs", 200).put("progressMs", 100);
        return Poll.until(Duration.ofSeconds(60), "start " + key + " on " + thread,
                () -> api.start(thread, Api.hosted(input), key),
                r -> r.status() == 202 || r.status() == 200).body().path("runId").asText();
    }
}
