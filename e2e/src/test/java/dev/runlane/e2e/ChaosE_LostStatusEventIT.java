package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chaos e. An execution stopped from outside (the console's Stop) whose status change event is lost
 * (EventBridge delivers them best effort): the gate's hold runs out, the redelivery finds the
 * execution ABORTED, the run ends CANCELLED and its thread moves on, within one hold.
 */
class ChaosE_LostStatusEventIT extends ChaosScenario {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aStoppedRunWhoseEventWasLostEndsWithinOneHold() {
        faults.add(Faults.fault("dropStatusEvents", null, 1));
        String thread = Ids.thread("ce");
        String runId = api.startRun(thread, Api.simulated(60_000, 500)).path("runId").asText();
        String next = api.startRun(thread, Api.echo("after the lost event")).path("runId").asText();
        JsonNode running = api.awaitStatus(runId, "RUNNING", Duration.ofSeconds(60));

        Instant stopped = Instant.now();
        stack.sfn().stopExecution(r -> r.executionArn(running.path("executionArn").asText()).error("Operator").cause("console stop"));
        JsonNode cancelled = api.awaitTerminal(runId, Duration.ofSeconds(E2eStack.HOLD_SECONDS + 30));
        Duration took = Duration.between(stopped, Instant.now());
        assertEquals("CANCELLED", cancelled.path("status").asText(), cancelled.toString());
        assertEquals("ExecutionAborted", cancelled.path("error").path("code").asText(), cancelled.toString());
        assertEquals(1, faults.fired("dropStatusEvents"), "the ABORTED event was dropped: " + faults);
        assertTrue(took.compareTo(Duration.ofSeconds(E2eStack.HOLD_SECONDS + 15)) <= 0, "ended " + took + " after the stop");

        JsonNode after = api.awaitTerminal(next, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", after.path("status").asText(), "the thread moved on: " + after);
        System.out.printf("[e2e] chaos e: stopped run ended CANCELLED %.1f s after the stop without its event (hold %d s)%n",
                took.toMillis() / 1000.0, E2eStack.HOLD_SECONDS);
    }
}
