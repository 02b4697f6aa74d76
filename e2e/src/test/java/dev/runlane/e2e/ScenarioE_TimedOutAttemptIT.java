package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;

/**
 * e. hangFirstAttempts 1: attempt 1 outlives the attempt timeout, attempt 2 succeeds; attempt 1's
 * late writes are refused (staleWrites >= 1) and none of its events come after attempt 2 began.
 * The hosted function's timeout is the attempt's, so a hung attempt outlives its timeout only by
 * the time its invocation took to reach the handler: a slow cold start, made here with the local
 * cloud's delay fault (7 s, which does not count against the function's timeout).
 */
class ScenarioE_TimedOutAttemptIT extends Scenario {
    private Faults faults;

    @AfterEach
    void clearFaults() {
        if (faults != null) {
            faults.clear();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aHungAttemptTimesOutAndItsLateWritesAreFencedOut() {
        // Two hosted sandboxes warm first, so that attempt 2 finds one free while the hung attempt holds the other.
        // Without it, CI saw attempt 2 wait 10 s for a local sandbox (the local cloud waits for one starting in the
        // background): it began after the hung attempt's sandbox was stopped, and nothing was left to fence.
        List<String> warming = List.of(api.startRun(Ids.thread("e-warm"), Api.simulated(2_000, 500)).path("runId").asText(),
                api.startRun(Ids.thread("e-warm"), Api.simulated(2_000, 500)).path("runId").asText());
        warming.forEach(runId -> assertEquals("SUCCEEDED", api.awaitTerminal(runId, Duration.ofSeconds(60)).path("status").asText()));
        faults = new Faults(stack.awsEndpoint());
        faults.add(Faults.fault("delay", "HostedDispatchFunction", 1).put("delayMs", 7_000));
        String thread = Ids.thread("e");
        ObjectNode input = Api.JSON.createObjectNode().put("agent", "simulated").put("durationMs", 1000)
                .put("progressMs", 200).put("hangFirstAttempts", 1);
        String runId = api.startRun(thread, Api.hosted(input)).path("runId").asText();

        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(E2eStack.ATTEMPT_TIMEOUT_SECONDS + 60));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(2, run.path("attempts").asInt(), run.toString());
        assertEquals(2, run.path("output").path("attempt").asInt(), run.toString());

        // Attempt 1 timed out in Step Functions, and was retried once.
        List<HistoryEvent> history = stack.history(run.path("executionArn").asText());
        String steps = History.describe(history);
        assertEquals(1, history.stream().filter(e -> e.type() == HistoryEventType.TASK_TIMED_OUT).count(), steps);
        assertEquals(2, History.scheduled(history, "HostedDispatchFunction").size(), steps);

        // The hung attempt keeps writing progress until the fence refuses it.
        JsonNode fenced = Poll.until(Duration.ofSeconds(20), "attempt 1's late write of run " + runId + " is refused",
                () -> api.run(runId), r -> r.path("staleWrites").asInt() >= 1);
        assertTrue(fenced.path("staleWrites").asInt() >= 1, fenced.toString());

        List<JsonNode> events = api.events(runId);
        List<JsonNode> first = events.stream().filter(e -> e.path("attempt").asInt() == 1).toList();
        List<JsonNode> second = events.stream().filter(e -> e.path("attempt").asInt() == 2).toList();
        assertFalse(first.isEmpty(), "attempt 1 wrote progress before it was fenced: " + events);
        assertFalse(second.isEmpty(), "attempt 2 wrote progress: " + events);
        long firstToken = first.get(0).path("fenceToken").asLong();
        long secondToken = second.get(0).path("fenceToken").asLong();
        assertTrue(secondToken > firstToken, "attempt 2's token " + secondToken + " is newer than attempt 1's " + firstToken);
        first.forEach(e -> assertEquals(firstToken, e.path("fenceToken").asLong(), e.toString()));
        second.forEach(e -> assertEquals(secondToken, e.path("fenceToken").asLong(), e.toString()));
        // Attempt 2 began (took its token) before its first event; nothing of attempt 1 may come after that.
        Instant lastOfFirst = first.stream().map(e -> Api.time(e, "time")).max(Comparator.naturalOrder()).orElseThrow();
        Instant firstOfSecond = second.stream().map(e -> Api.time(e, "time")).min(Comparator.naturalOrder()).orElseThrow();
        assertTrue(lastOfFirst.isBefore(firstOfSecond), "attempt 1 wrote at " + lastOfFirst
                + ", after attempt 2 began (its first event at " + firstOfSecond + ")");
        // And the run's final state is attempt 2's: output and token.
        assertEquals(secondToken, run.path("output").path("fenceToken").asLong(), run.toString());
    }
}
