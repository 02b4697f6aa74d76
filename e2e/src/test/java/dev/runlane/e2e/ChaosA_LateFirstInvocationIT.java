package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;

/**
 * Chaos a. The first invocation of a run starts after its attempt timed out (a slow cold start): the
 * retry succeeds as attempt 2, and the zombie is refused at acquire and writes nothing, also while
 * the thread's next run holds the fence.
 */
class ChaosA_LateFirstInvocationIT extends ChaosScenario {

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void anAttemptWhoseLambdaStartsAfterItsTimeoutIsRefusedAndTheRetrySucceeds() {
        int attemptTimeout = E2eStack.ATTEMPT_TIMEOUT_SECONDS;
        faults.add(Faults.fault("delay", HOSTED, 1).put("delayMs", (attemptTimeout + 4) * 1000L));
        String thread = Ids.thread("ca");
        String first = api.startRun(thread, Api.echo("late first invocation")).path("runId").asText();
        // The thread's next run holds the fence while the zombie of the first one arrives (its 9 s fit
        // one attempt; it starts about when the first run's retry ends, the zombie arrives 3-4 s later).
        String second = api.startRun(thread, Api.simulated(9_000, 250)).path("runId").asText();

        JsonNode run = api.awaitTerminal(first, Duration.ofSeconds(attemptTimeout + 60));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(2, run.path("attempts").asInt(), "attempts is Step Functions' attempt number: " + run);
        List<HistoryEvent> history = stack.history(run.path("executionArn").asText());
        assertEquals(1, History.count(history, HistoryEventType.TASK_TIMED_OUT), History.describe(history));
        assertEquals(1, faults.fired("delay"), faults.toString());

        JsonNode next = api.awaitTerminal(second, Duration.ofSeconds(90));
        assertEquals("SUCCEEDED", next.path("status").asText(), next.toString());
        assertEquals(1, next.path("attempts").asInt(), next.toString());
        assertEquals(0, next.path("staleWrites").asInt(), "the zombie fenced out nothing: " + next);
        long token = next.path("fenceToken").asLong();
        List<JsonNode> events = api.events(second);
        assertTrue(events.size() >= 30, "the next run wrote all its progress: " + events.size());
        events.forEach(e -> assertEquals(token, e.path("fenceToken").asLong(), e.toString()));

        JsonNode after = api.run(first);
        assertEquals(run.path("fenceToken"), after.path("fenceToken"), "the zombie took no token: " + after);
        assertEquals(0, after.path("staleWrites").asInt(), after.toString());
        assertEquals(List.of(), api.events(first), "the zombie wrote nothing");
        System.out.printf("[e2e] chaos a: first invocation %d s late; run %s SUCCEEDED on attempt %d, next run untouched%n",
                attemptTimeout + 4, first, run.path("attempts").asInt());
    }
}
