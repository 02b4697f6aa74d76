package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chaos i. First attempts hang on many threads at once: each ends with its attempt (the function's
 * timeout is the attempt's, so no zombie keeps a sandbox), and every run succeeds on a retry.
 */
class ChaosI_HungFirstAttemptsIT extends ChaosScenario {
    static final int THREADS = 10;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyRunWhoseFirstAttemptHangsSucceedsOnARetry() {
        List<String> runIds = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            JsonNode input = Api.JSON.createObjectNode().put("agent", "simulated").put("durationMs", 300)
                    .put("progressMs", 200).put("hangFirstAttempts", 1);
            runIds.add(api.startRun(Ids.thread("ci" + t), Api.hosted(input)).path("runId").asText());
        }
        List<String> summary = new ArrayList<>();
        for (String runId : runIds) {
            JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(E2eStack.ATTEMPT_TIMEOUT_SECONDS * 4L + 60));
            assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
            assertEquals(true, run.path("attempts").asInt() >= 2, run.toString());
            summary.add(run.path("attempts").asText());
        }
        System.out.printf("[e2e] chaos i: %d hung first attempts, all SUCCEEDED; attempts per run %s%n", THREADS, summary);
    }
}
