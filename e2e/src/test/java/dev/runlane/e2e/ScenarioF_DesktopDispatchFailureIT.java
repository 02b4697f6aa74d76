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

/** f. A desktop run whose dispatch fails ends FAILED after exactly one dispatch; the thread's next run executes. */
class ScenarioF_DesktopDispatchFailureIT extends Scenario {

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aFailedDesktopDispatchIsNotRetriedAndTheThreadMovesOn() {
        String thread = Ids.thread("f");
        String daemonId = "e2e-unregistered-" + Ids.random();
        ObjectNode desktop = Api.JSON.createObjectNode().put("target", "desktop").put("daemonId", daemonId);
        desktop.putObject("input").put("command", "echo hi");
        String desktopRun = api.startRun(thread, desktop).path("runId").asText();
        // Queued behind it on the same thread.
        String nextRun = api.startRun(thread, Api.echo("after the failed dispatch")).path("runId").asText();

        JsonNode failed = api.awaitTerminal(desktopRun, Duration.ofSeconds(60));
        assertEquals("FAILED", failed.path("status").asText(), failed.toString());
        assertEquals("desktop", failed.path("target").asText());
        assertEquals("UnknownDaemonException", failed.path("error").path("code").asText(), failed.toString());
        assertEquals(1, failed.path("attempts").asInt(), "one dispatch: " + failed);

        // Exactly one dispatch: one scheduled desktop task, no retry, and no hosted attempt.
        List<HistoryEvent> history = stack.history(failed.path("executionArn").asText());
        String steps = History.describe(history);
        assertEquals(1, History.scheduled(history, "DesktopDispatchFunction").size(), steps);
        assertEquals(List.of(), History.scheduled(history, "HostedDispatchFunction"), steps);
        assertEquals(1, History.count(history, HistoryEventType.TASK_FAILED), "the dispatch failed once: " + steps);
        assertEquals(1, History.scheduled(history, "FinalizeFunction").size(), "then the failure was recorded: " + steps);
        assertEquals(1, stack.executionsNamed(desktopRun).size());

        JsonNode next = api.awaitTerminal(nextRun, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", next.path("status").asText(), next.toString());
        assertTrue(!Api.time(next, "startedAt").isBefore(Api.time(failed, "finishedAt")), "the next run waited for the failed one");
    }
}
