package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;

/** d. failFirstAttempts 2: the run succeeds on attempt 3, each attempt with a new, larger fence token. */
class ScenarioD_RetriedAttemptsIT extends Scenario {

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void failingTwiceSucceedsOnTheThirdAttemptWithANewerTokenEachTime() {
        String thread = Ids.thread("d");
        ObjectNode input = Api.JSON.createObjectNode().put("agent", "simulated").put("durationMs", 300)
                .put("progressMs", 100).put("failFirstAttempts", 2);
        String runId = api.startRun(thread, Api.hosted(input)).path("runId").asText();

        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(75));

        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(3, run.path("output").path("attempt").asInt(), run.toString());
        assertEquals(3, run.path("attempts").asInt(), run.toString());

        // Step Functions scheduled the hosted attempt three times: two failed with the retryable agent error.
        List<HistoryEvent> history = stack.history(run.path("executionArn").asText());
        String steps = History.describe(history);
        assertEquals(3, History.scheduled(history, "HostedDispatchFunction").size(), "hosted attempts scheduled: " + steps);
        List<HistoryEvent> failed = history.stream().filter(e -> e.type() == HistoryEventType.TASK_FAILED).toList();
        assertEquals(2, failed.size(), steps);
        failed.forEach(f -> assertEquals("dev.runlane.agent.RetryableAgentException", f.taskFailedEventDetails().error()));

        // Every attempt took a new token (ADD 1 on the thread's fence): on a fresh thread the attempts took
        // 1, 2 and 3, so the succeeding third attempt holds 3, larger than the two taken before it.
        long token = run.path("output").path("fenceToken").asLong();
        assertEquals(3, token, "attempt 3's token on a fresh thread, after the tokens 1 and 2 of attempts 1 and 2: " + run);
        assertEquals(token, run.path("fenceToken").asLong(), run.toString());
        // Attempts 1 and 2 recorded their error, each under its own token; attempt 3 its progress.
        List<JsonNode> events = api.events(runId);
        assertTrue(events.size() > 2, "attempt 3 recorded progress: " + events);
        for (int attempt = 1; attempt <= 2; attempt++) {
            JsonNode error = events.get(attempt - 1);
            assertEquals("error", error.path("type").asText(), events.toString());
            assertEquals(attempt, error.path("attempt").asInt(), error.toString());
            assertEquals(attempt, error.path("fenceToken").asLong(), error.toString());
            assertEquals("RetryableAgentException", error.path("data").path("code").asText(), error.toString());
            assertEquals("simulated retryable error on attempt " + attempt, error.path("data").path("message").asText(), error.toString());
        }
        events.subList(2, events.size()).forEach(e -> {
            assertEquals("progress", e.path("type").asText(), e.toString());
            assertEquals(3, e.path("attempt").asInt(), "only attempt 3 got to write progress: " + e);
            assertEquals(3, e.path("fenceToken").asLong(), e.toString());
        });
    }

}
