package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * l. onBusy reject. 10 reject starts at once on an idle thread: exactly one executes (SUCCEEDED), the
 * first in queue order; every other one is either refused (409 ThreadBusy, nothing stored) or
 * admitted and ended REJECTED (ThreadBusy) without ever executing; none overlap. A reject start on a
 * thread whose run is RUNNING is refused with 409 ThreadBusy and nothing is stored; once that run has
 * ended, a reject start is admitted and runs.
 */
class ScenarioL_RejectRaceIT extends Scenario {
    private static final int STARTS = 10;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void concurrentRejectStartsOnAnIdleThreadRunExactlyOne() throws Exception {
        String thread = Ids.thread("l");
        Concurrently.warmApi(api, thread, STARTS);
        List<Api.Response> responses = Concurrently.call(STARTS, i -> api.start(thread, Api.simulated(1500, 300).put("onBusy", "reject"), null));
        List<String> admitted = new ArrayList<>();
        int refused = 0;
        for (Api.Response response : responses) {
            if (response.status() == 202) {
                assertEquals("reject", response.body().path("onBusy").asText(), response.toString());
                admitted.add(response.body().path("runId").asText());
            } else {
                assertEquals(409, response.status(), "a reject start is admitted (202) or refused (409): " + response);
                assertEquals("ThreadBusy", response.errorCode(), response.toString());
                refused++;
            }
        }
        assertTrue(!admitted.isEmpty(), "the idle thread admitted none of the reject starts: " + responses);

        List<JsonNode> ended = new ArrayList<>();
        for (String runId : admitted) {
            ended.add(api.awaitTerminal(runId, Duration.ofSeconds(90)));
        }
        // Refused starts stored nothing: the thread lists exactly the admitted runs.
        List<String> queueOrder = api.threadRuns(thread).stream().map(r -> r.path("runId").asText()).toList();
        assertEquals(admitted.size(), queueOrder.size(), "listed " + queueOrder + ", admitted " + admitted);
        assertEquals(java.util.Set.copyOf(admitted), java.util.Set.copyOf(queueOrder));
        List<JsonNode> inQueueOrder = queueOrder.stream().map(api::run).toList();
        String timeline = RunTimeline.describe(inQueueOrder);
        System.out.printf("[e2e] l: %d admitted, %d refused; queue order:%s%n", admitted.size(), refused, timeline);

        // The first in queue order had nothing before it: it runs. Every later one was enqueued while it was busy.
        JsonNode ran = inQueueOrder.get(0);
        assertEquals("SUCCEEDED", ran.path("status").asText(), "the first in queue order runs:" + timeline);
        assertTrue(ran.path("executionArn").isTextual(), ran.toString());
        for (JsonNode run : inQueueOrder.subList(1, inQueueOrder.size())) {
            String runId = run.path("runId").asText();
            assertEquals("REJECTED", run.path("status").asText(), "run " + runId + " was admitted behind a busy run:" + timeline);
            assertEquals("ThreadBusy", run.path("error").path("code").asText(), run.toString());
            assertTrue(run.path("executionArn").isNull(), "a rejected run never executes: " + run);
            assertTrue(run.path("startedAt").isNull(), run.toString());
            assertEquals(0, run.path("attempts").asInt(), run.toString());
            assertEquals(List.of(), stack.executionsNamed(runId), "no execution named " + runId);
        }
        assertEquals(1, ended.stream().filter(r -> "SUCCEEDED".equals(r.path("status").asText())).count(), timeline);
        RunTimeline.assertNoOverlap(inQueueOrder);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRejectStartOnABusyThreadIsRefusedAndStoresNothing() {
        String thread = Ids.thread("l-busy");
        String running = api.startRun(thread, Api.simulated(5000, 300)).path("runId").asText();
        api.awaitStatus(running, "RUNNING", Duration.ofSeconds(60));

        Api.Response refused = api.start(thread, Api.echo("not now").put("onBusy", "reject"), null);
        assertEquals(409, refused.status(), refused.toString());
        assertEquals("ThreadBusy", refused.errorCode(), refused.toString());
        // Also with an idempotency key: nothing is stored under it either.
        Api.Response refusedWithKey = api.start(thread, Api.echo("not now").put("onBusy", "reject"), "l-busy-key");
        assertEquals(409, refusedWithKey.status(), refusedWithKey.toString());
        assertEquals("ThreadBusy", refusedWithKey.errorCode(), refusedWithKey.toString());
        List<JsonNode> listed = api.threadRuns(thread);
        assertEquals(1, listed.size(), "nothing stored for the refused starts: " + listed);
        assertEquals("RUNNING", api.run(running).path("status").asText(), "the running run goes on");

        // Once the thread is idle again, a reject start is admitted and runs.
        JsonNode done = api.awaitTerminal(running, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", done.path("status").asText(), done.toString());
        Api.Response admitted = api.start(thread, Api.echo("now").put("onBusy", "reject"), "l-busy-key");
        assertEquals(202, admitted.status(), "an idle thread takes a reject start: " + admitted);
        JsonNode after = api.awaitTerminal(admitted.body().path("runId").asText(), Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", after.path("status").asText(), after.toString());
        assertEquals(Api.JSON.createObjectNode().put("agent", "echo").put("message", "now"), after.path("output"), after.toString());
    }
}
