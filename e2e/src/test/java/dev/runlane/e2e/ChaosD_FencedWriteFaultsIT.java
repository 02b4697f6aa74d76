package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chaos d. DynamoDB cancels fenced writes with TransactionConflict and ThrottlingError, and throttles
 * single-item writes: they are retried, never counted as stale, and the run keeps its one attempt.
 */
class ChaosD_FencedWriteFaultsIT extends ChaosScenario {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void conflictsAndThrottlesOnFencedWritesAreRetriedNotStale() {
        faults.add(Faults.fault("awsError", "dynamodb:TransactWriteItems", 4).put("code", "TransactionConflict"))
                .add(Faults.fault("awsError", "dynamodb:TransactWriteItems", 2).put("code", "ThrottlingError"))
                .add(Faults.fault("awsError", "dynamodb:UpdateItem", 2).put("code", "ProvisionedThroughputExceededException"));
        String runId = api.startRun(Ids.thread("cd"), Api.simulated(1500, 100)).path("runId").asText();

        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(90));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(1, run.path("attempts").asInt(), "no attempt was lost to a retried write: " + run);
        assertEquals(0, run.path("staleWrites").asInt(), "a conflict or a throttle is no verdict on the token: " + run);
        assertEquals(8, faults.fired("awsError"), faults.toString());
        List<JsonNode> events = api.events(runId);
        // How many progress writes a 1.5 s attempt makes depends on the machine's speed; that each one was
        // stored (none lost to a retried conflict or throttle) does not.
        assertFalse(events.isEmpty(), run.toString());
        assertEquals(events.size(), run.path("output").path("progressEvents").asInt(), "every progress write got through: " + run);
    }
}
