package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** c. One Idempotency-Key sent 10 times concurrently: one run, one execution. */
class ScenarioC_IdempotencyIT extends Scenario {
    private static final int REQUESTS = 10;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void tenConcurrentStartsWithOneKeyMakeOneRunAndOneExecution() throws Exception {
        String thread = Ids.thread("c");
        String key = "key-" + Ids.random();
        ObjectNode body = Api.echo("once");
        List<Api.Response> responses = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(REQUESTS)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Api.Response>> sent = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                sent.add(pool.submit(() -> {
                    go.await();
                    return api.start(thread, body, key);
                }));
            }
            go.countDown();
            for (Future<Api.Response> response : sent) {
                responses.add(response.get(60, TimeUnit.SECONDS));
            }
        }

        Set<String> runIds = new TreeSet<>();
        int created = 0;
        for (Api.Response response : responses) {
            if (response.status() == 202) {
                created++;
            } else {
                assertEquals(200, response.status(), "a repeat of the key answers 200: " + response);
            }
            runIds.add(response.body().path("runId").asText());
        }
        assertEquals(1, runIds.size(), "every response names the same run: " + responses);
        assertEquals(1, created, "exactly one 202 (the rest 200): " + responses);
        String runId = runIds.iterator().next();

        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(75));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(1, run.path("attempts").asInt(), run.toString());
        assertEquals(List.of(runId), api.threadRuns(thread).stream().map(r -> r.path("runId").asText()).toList(),
                "the thread holds one run");
        assertEquals(1, stack.executionsNamed(runId).size(), "one execution named " + runId);

        // A later repeat still names the same run, and starts nothing.
        Api.Response again = api.start(thread, body, key);
        assertEquals(200, again.status(), again.toString());
        assertEquals(runId, again.body().path("runId").asText());
        assertEquals("SUCCEEDED", again.body().path("status").asText(), again.toString());
        assertEquals(1, api.threadRuns(thread).size());
    }
}
