package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chaos g. A thread holds at most ThreadQueueCap unfinished runs: past it a start is refused with
 * 429 ThreadQueueFull and a reason, nothing is stored, and the thread's queued runs are untouched.
 */
class ChaosG_QueueCapIT extends ChaosScenario {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFullThreadRefusesTheNextStartAndKeepsItsRuns() {
        String thread = Ids.thread("cg");
        int cap = E2eStack.THREAD_QUEUE_CAP;
        String busy = api.startRun(thread, Api.simulated(60_000, 1000)).path("runId").asText();
        for (int i = 1; i < cap; i++) {
            api.startRun(thread, Api.echo("queued " + i));
        }
        api.awaitStatus(busy, "RUNNING", Duration.ofSeconds(60));

        Api.Response refused = api.start(thread, Api.echo("one too many"), "over-the-cap");
        assertEquals(429, refused.status(), refused.toString());
        assertEquals("ThreadQueueFull", refused.errorCode(), refused.toString());
        assertEquals(true, refused.body().path("error").path("message").asText().contains(String.valueOf(cap)), refused.toString());

        List<JsonNode> runs = api.threadRuns(thread);
        assertEquals(cap, runs.size(), "nothing stored for the refused start");
        assertEquals("RUNNING", runs.get(0).path("status").asText(), runs.get(0).toString());
        runs.subList(1, cap).forEach(r -> assertEquals("QUEUED", r.path("status").asText(), r.toString()));

        // A run that ends frees its place at once.
        assertEquals(200, api.cancel(busy).status());
        Api.Response admitted = api.start(thread, Api.echo("now it fits"), "after-the-cancel");
        assertEquals(202, admitted.status(), admitted.toString());
        runs.subList(1, cap).forEach(r -> api.cancel(r.path("runId").asText()));
        api.cancel(admitted.body().path("runId").asText());
    }
}
