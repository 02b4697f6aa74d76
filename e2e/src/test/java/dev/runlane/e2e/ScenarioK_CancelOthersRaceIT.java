package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * k. onBusy cancel-others, raced: a thread's long run is RUNNING when 10 cancel-others starts arrive
 * at once. Exactly one run of the thread SUCCEEDS, the last of the 10 in queue order; the running
 * run (stopped like a cancelled one, its attempt fenced out) and the other 9 end CANCELLED
 * (Superseded); no two runs of the thread overlap; all end within a bound.
 */
class ScenarioK_CancelOthersRaceIT extends Scenario {
    private static final int STARTS = 10;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void concurrentCancelOthersStartsLeaveOnlyTheLastOneInQueueOrderToRun() throws Exception {
        String thread = Ids.thread("k");
        Concurrently.warmApi(api, thread, STARTS);
        // Longer than the attempt timeout: it would still be RUNNING (retried) if nothing cancelled it.
        String first = api.startRun(thread, Api.simulated(30_000, 300)).path("runId").asText();
        Poll.until(Duration.ofSeconds(60), "run " + first + " is RUNNING with progress", () -> api.events(first), e -> !e.isEmpty());
        assertEquals("RUNNING", api.run(first).path("status").asText());

        record Start(Api.Response response, long millis) {}
        List<Start> starts = Concurrently.call(STARTS, i -> {
            long sent = System.nanoTime();
            Api.Response response = api.start(thread, Api.simulated(1000, 200).put("onBusy", "cancel-others"), null);
            return new Start(response, (System.nanoTime() - sent) / 1_000_000);
        });
        Instant startsAnswered = Instant.now();
        System.out.println("[e2e] k: the 10 starts answered in (ms) " + starts.stream().map(Start::millis).toList());
        List<String> started = new ArrayList<>();
        for (Start start : starts) {
            Api.Response response = start.response();
            assertEquals(202, response.status(), response.toString());
            assertEquals("cancel-others", response.body().path("onBusy").asText(), response.toString());
            started.add(response.body().path("runId").asText());
        }
        assertEquals(STARTS, new HashSet<>(started).size(), "10 distinct runs: " + started);

        // Every run of the thread ends, within a bound.
        List<JsonNode> ended = new ArrayList<>();
        ended.add(api.awaitTerminal(first, Duration.ofSeconds(60)));
        for (String runId : started) {
            ended.add(api.awaitTerminal(runId, Duration.ofSeconds(90)));
        }

        // Queue order: the long run first, then the 10 in the order the queue took them.
        List<String> queueOrder = api.threadRuns(thread).stream().map(r -> r.path("runId").asText()).toList();
        assertEquals(STARTS + 1, queueOrder.size(), queueOrder.toString());
        assertEquals(first, queueOrder.get(0), "the long run is first in queue order");
        assertEquals(Set.copyOf(started), Set.copyOf(queueOrder.subList(1, queueOrder.size())));
        String last = queueOrder.get(queueOrder.size() - 1);

        List<JsonNode> inQueueOrder = queueOrder.stream().map(api::run).toList();
        String timeline = RunTimeline.describe(inQueueOrder);
        System.out.println("[e2e] k timeline (queue order):" + timeline);
        for (JsonNode run : inQueueOrder) {
            String runId = run.path("runId").asText();
            if (runId.equals(last)) {
                assertEquals("SUCCEEDED", run.path("status").asText(), "the last in queue order runs:" + timeline);
                assertTrue(run.path("error").isNull(), run.toString());
                assertTrue(run.path("executionArn").isTextual(), run.toString());
            } else {
                assertEquals("CANCELLED", run.path("status").asText(), "run " + runId + " is superseded:" + timeline);
                assertEquals("Superseded", run.path("error").path("code").asText(), run.toString());
                assertTrue(run.path("output").isNull(), run.toString());
            }
        }
        assertEquals(1, inQueueOrder.stream().filter(r -> "SUCCEEDED".equals(r.path("status").asText())).count(), timeline);
        RunTimeline.assertNoOverlap(inQueueOrder);
        for (JsonNode run : inQueueOrder) {
            String runId = run.path("runId").asText();
            System.out.printf("[e2e] k: %s executionArn=%s executions named after it: %s%n", runId,
                    run.path("executionArn").asText("null"), stack.executionsNamed(runId).stream().map(e -> e.statusAsString()).toList());
        }

        // The long run was stopped like a cancelled one, its in-flight attempt fenced out.
        JsonNode stopped = inQueueOrder.get(0);
        String executionArn = stopped.path("executionArn").asText();
        awaitStoppedByCancel(executionArn, startsAnswered);
        JsonNode fenced = Poll.until(Duration.ofSeconds(20), "run " + first + "'s in-flight attempt is fenced out",
                () -> api.run(first), r -> r.path("staleWrites").asInt() >= 1);
        assertEquals("CANCELLED", fenced.path("status").asText(), fenced.toString());
        // The survivor started only after the long run had ended.
        JsonNode survivor = inQueueOrder.get(inQueueOrder.size() - 1);
        assertTrue(!Api.time(survivor, "startedAt").isBefore(Api.time(stopped, "finishedAt")), timeline);
        // Nothing runs or waits on the thread any more.
        JsonNode view = api.threadView(thread);
        assertTrue(view.path("running").isNull(), view.toString());
        assertEquals(0, view.path("queued").asInt(), view.toString());
    }
}
