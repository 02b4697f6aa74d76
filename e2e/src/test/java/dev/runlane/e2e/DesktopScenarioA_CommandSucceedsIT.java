package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;

/**
 * Desktop a. A desktop run executes the daemon's command in the thread's working directory with the
 * run's input on stdin, and SUCCEEDS with the command's last stdout line as output; each stdout line
 * is recorded as one progress event, in order, under the run's fence token.
 */
class DesktopScenarioA_CommandSucceedsIT extends DesktopScenario {
    /** Keeps its input, prints who and where it is, and ends with a JSON line (the output). */
    private static final String COMMAND = "cat > input.json; echo \"run $RUNLANE_RUN_ID token $RUNLANE_FENCE_TOKEN\"; "
            + "echo \"working in $(pwd)\"; echo '{\"answer\":42,\"done\":true}'";

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aDesktopRunSucceedsWithTheCommandsLastLineAndOneProgressEventPerLine() throws Exception {
        DesktopDaemon daemon = daemon("da");
        daemon.start(COMMAND);
        String thread = Ids.thread("da");
        ObjectNode input = Api.JSON.createObjectNode().put("task", "build").put("n", 7);
        JsonNode started = api.startRun(thread, Api.desktop(daemon.id(), input));
        String runId = started.path("runId").asText();
        assertEquals("desktop", started.path("target").asText(), started.toString());

        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(60));

        assertEquals("SUCCEEDED", run.path("status").asText(), run + "\n" + daemon.log());
        assertEquals(Api.JSON.readTree("{\"answer\":42,\"done\":true}"), run.path("output"), "the last stdout line: " + run);
        assertEquals(daemon.id(), run.path("daemonId").asText(), run.toString());
        assertEquals(1, run.path("attempts").asInt(), run.toString());
        assertTrue(run.path("error").isNull(), run.toString());
        long token = run.path("fenceToken").asLong();
        assertTrue(token >= 1, run.toString());

        // One progress event per stdout line but the last (the output), in order, with the run's attempt and token.
        Path workDir = daemon.workDir(thread).toRealPath();
        List<JsonNode> events = api.events(runId);
        assertEquals(List.of("run " + runId + " token " + token, "working in " + workDir),
                events.stream().map(e -> e.path("data").path("line").asText()).toList(), events.toString());
        for (JsonNode event : events) {
            assertEquals("progress", event.path("type").asText(), event.toString());
            assertEquals(1, event.path("attempt").asInt(), event.toString());
            assertEquals(token, event.path("fenceToken").asLong(), event.toString());
        }

        // The command got the run's input on stdin, in the thread's working directory.
        assertEquals(input, Api.JSON.readTree(DesktopDaemon.read(workDir.resolve("input.json")).orElseThrow()));
        // The daemon ran it once and reported its end; one desktop dispatch, nothing hosted.
        assertEquals(1, daemon.logLines(runId, "started '").size(), daemon.log());
        assertEquals(1, daemon.logLines(runId, "reported succeeded").size(), daemon.log());
        List<HistoryEvent> history = stack.history(run.path("executionArn").asText());
        assertEquals(1, History.scheduled(history, "DesktopDispatchFunction").size(), History.describe(history));
        assertEquals(List.of(), History.scheduled(history, "HostedDispatchFunction"), History.describe(history));
    }
}
