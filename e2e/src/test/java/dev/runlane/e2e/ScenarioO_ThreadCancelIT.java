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
 * o. Cancel a thread's queue. include=queued: the 3 queued runs are CANCELLED and never execute, the
 * running run goes on to SUCCEEDED. include=all: the running run too is CANCELLED, its execution
 * stopped and its attempt fenced out; the thread is idle after and its next run succeeds.
 */
class ScenarioO_ThreadCancelIT extends Scenario {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void cancellingTheQueuedRunsLeavesTheRunningOne() {
        String thread = Ids.thread("o-queued");
        String running = api.startRun(thread, Api.simulated(6000, 300)).path("runId").asText();
        List<String> queued = queueThree(thread);
        Poll.until(Duration.ofSeconds(60), "run " + running + " is RUNNING with progress", () -> api.events(running), e -> !e.isEmpty());

        Api.Response cancelled = api.cancelThread(thread, "queued");
        assertEquals(200, cancelled.status(), cancelled.toString());
        assertEquals(thread, cancelled.body().path("threadId").asText(), cancelled.toString());
        assertEquals(Set.copyOf(queued), idsOf(cancelled), "the queued runs, each once: " + cancelled);
        assertEquals("RUNNING", api.run(running).path("status").asText(), "the running run goes on");

        JsonNode done = api.awaitTerminal(running, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", done.path("status").asText(), done.toString());
        assertEquals(1, done.path("attempts").asInt(), done.toString());
        for (String runId : queued) {
            assertNeverRan(runId);
        }
        assertIdle(thread);

        // Nothing left to cancel: an empty list, also with no body (include defaults to queued).
        Api.Response again = api.cancelThread(thread, null);
        assertEquals(200, again.status(), again.toString());
        assertEquals(Set.of(), idsOf(again), again.toString());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void cancellingAllStopsTheRunningRunToo() {
        String thread = Ids.thread("o-all");
        // Longer than the attempt timeout: only the cancel ends it in its first attempt.
        String running = api.startRun(thread, Api.simulated(60_000, 300)).path("runId").asText();
        List<String> queued = queueThree(thread);
        Poll.until(Duration.ofSeconds(60), "run " + running + " is RUNNING with progress", () -> api.events(running), e -> !e.isEmpty());

        Api.Response cancelled = api.cancelThread(thread, "all");
        Instant answered = Instant.now();
        assertEquals(200, cancelled.status(), cancelled.toString());
        Set<String> all = new HashSet<>(queued);
        all.add(running);
        assertEquals(all, idsOf(cancelled), "the running and the queued runs, each once: " + cancelled);

        JsonNode stopped = api.run(running);
        assertEquals("CANCELLED", stopped.path("status").asText(), stopped.toString());
        assertEquals("Cancelled", stopped.path("error").path("code").asText(), stopped.toString());
        String executionArn = stopped.path("executionArn").asText();
        awaitStoppedByCancel(executionArn, answered);
        JsonNode fenced = Poll.until(Duration.ofSeconds(20), "run " + running + "'s in-flight attempt is fenced out",
                () -> api.run(running), r -> r.path("staleWrites").asInt() >= 1);
        assertEquals("CANCELLED", fenced.path("status").asText(), fenced.toString());
        assertTrue(fenced.path("output").isNull(), fenced.toString());
        for (String runId : queued) {
            assertNeverRan(runId);
        }
        assertIdle(thread);

        // The thread moves on.
        JsonNode next = api.awaitTerminal(api.startRun(thread, Api.echo("after the cancel")).path("runId").asText(), Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", next.path("status").asText(), next.toString());
        assertTrue(!Api.time(next, "startedAt").isBefore(Api.time(fenced, "finishedAt")), next.toString());
        for (String runId : queued) {
            assertNeverRan(runId);
        }
        assertEquals("CANCELLED", api.run(running).path("status").asText());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void anUnknownIncludeIsRefused() {
        Api.Response refused = api.post("/threads/" + Ids.thread("o-bad") + "/cancel", "application/json",
                "{\"include\":\"running\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(400, refused.status(), refused.toString());
    }

    private static List<String> queueThree(String thread) {
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            queued.add(api.startRun(thread, Api.echo("queued " + i)).path("runId").asText());
        }
        return queued;
    }

    private static Set<String> idsOf(Api.Response cancelled) {
        List<String> ids = new ArrayList<>();
        cancelled.body().path("cancelled").forEach(id -> ids.add(id.asText()));
        assertTrue(cancelled.body().path("cancelled").isArray(), cancelled.toString());
        assertEquals(ids.size(), new HashSet<>(ids).size(), "no run listed twice: " + cancelled);
        return Set.copyOf(ids);
    }

    private static void assertNeverRan(String runId) {
        JsonNode run = api.run(runId);
        assertEquals("CANCELLED", run.path("status").asText(), run.toString());
        assertEquals(0, run.path("attempts").asInt(), run.toString());
        assertTrue(run.path("startedAt").isNull(), run.toString());
        assertTrue(run.path("executionArn").isNull(), run.toString());
        assertEquals(List.of(), stack.executionsNamed(runId), "no execution named " + runId);
        assertEquals(List.of(), api.events(runId));
    }

    private static void assertIdle(String thread) {
        JsonNode view = api.threadView(thread);
        assertTrue(view.path("running").isNull(), view.toString());
        assertEquals(0, view.path("queued").asInt(), view.toString());
    }
}
