package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;

/** Chaos b. The sandbox dies mid-attempt (a crash, an out-of-memory kill): the run succeeds on a later attempt. */
class ChaosB_KilledSandboxIT extends ChaosScenario {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRunWhoseSandboxIsKilledMidAttemptSucceedsOnTheNextAttempt() {
        faults.add(Faults.fault("kill", HOSTED, 1).put("afterMs", 1500));
        String runId = api.startRun(Ids.thread("cb"), Api.simulated(4000, 250)).path("runId").asText();

        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(90));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(2, run.path("attempts").asInt(), run.toString());
        assertEquals(2, run.path("output").path("attempt").asInt(), run.toString());
        assertEquals(1, faults.fired("kill"), faults.toString());

        List<HistoryEvent> history = stack.history(run.path("executionArn").asText());
        List<HistoryEvent> failed = history.stream().filter(e -> e.type() == HistoryEventType.TASK_FAILED).toList();
        assertEquals(1, failed.size(), History.describe(history));
        String error = failed.get(0).taskFailedEventDetails().error();
        assertTrue(error.equals("Runtime.ExitError") || error.equals("Lambda.Unknown"), "a crashed runtime's error: " + error);

        List<JsonNode> events = api.events(runId);
        List<JsonNode> killed = events.stream().filter(e -> e.path("attempt").asInt() == 1).toList();
        assertFalse(killed.isEmpty(), "attempt 1 worked before it was killed: " + events);
        long token = run.path("fenceToken").asLong();
        killed.forEach(e -> assertTrue(e.path("fenceToken").asLong() < token, e.toString()));
    }
}
