package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Desktop d. Reports with an old fence token are refused with 409 and write nothing: neither a
 * progress event nor an end, only the stale write is counted. The old token is real: that of the
 * thread's previous run, sent with the daemon's own credential while the thread's newer run runs.
 * A report for the ended previous run gets 409 too. The newer run then ends as its own daemon says.
 */
class DesktopScenarioD_StaleReportIT extends DesktopScenario {
    /** Prints a line, waits for the test's go (a file in the working directory), prints its output. */
    private static final String COMMAND = "echo \"start $RUNLANE_RUN_ID\"; "
            + "while [ ! -e release-$RUNLANE_RUN_ID ]; do sleep 0.1; done; echo \"{\\\"run\\\":\\\"$RUNLANE_RUN_ID\\\"}\"";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void reportsWithAnOldFenceTokenAreRefusedAndWriteNothing() throws Exception {
        DesktopDaemon daemon = daemon("dd");
        daemon.start(COMMAND);
        String thread = Ids.thread("dd");
        String previous = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", 1)))
                .path("runId").asText();
        String current = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", 2)))
                .path("runId").asText();

        JsonNode previousRun = release(daemon, thread, previous);
        assertEquals("SUCCEEDED", previousRun.path("status").asText(), previousRun + "\n" + daemon.log());
        long oldToken = previousRun.path("fenceToken").asLong();
        Poll.until(Duration.ofSeconds(30), "run " + current + "'s command runs", () -> api.events(current),
                events -> !events.isEmpty());
        JsonNode running = api.run(current);
        assertEquals("RUNNING", running.path("status").asText(), running.toString());
        long newToken = running.path("fenceToken").asLong();
        assertTrue(newToken > oldToken, "the current run's token " + newToken + " is newer than " + oldToken);
        List<JsonNode> eventsBefore = api.events(current);

        // The old token, with the run's own daemon's credential: 409, nothing written.
        ObjectNode progress = Api.reportBody("progress", oldToken);
        progress.putObject("data").put("line", "written with an old token");
        Api.Response staleProgress = api.report(current, daemon.credential(), progress);
        assertEquals(409, staleProgress.status(), staleProgress.toString());
        assertEquals("StaleFenceToken", staleProgress.errorCode(), staleProgress.toString());
        ObjectNode succeeded = Api.reportBody("succeeded", oldToken);
        succeeded.putObject("output").put("forged", true);
        Api.Response staleEnd = api.report(current, daemon.credential(), succeeded);
        assertEquals(409, staleEnd.status(), staleEnd.toString());
        assertEquals("StaleFenceToken", staleEnd.errorCode(), staleEnd.toString());

        JsonNode unchanged = api.run(current);
        assertEquals("RUNNING", unchanged.path("status").asText(), unchanged.toString());
        assertTrue(unchanged.path("output").isNull(), unchanged.toString());
        assertEquals(newToken, unchanged.path("fenceToken").asLong(), unchanged.toString());
        assertEquals(2, unchanged.path("staleWrites").asInt(), "both stale reports counted: " + unchanged);
        assertEquals(eventsBefore, api.events(current), "no event appended");

        // A report for the ended previous run, with its own token: 409, and it stays as it ended.
        Api.Response ended = api.report(previous, daemon.credential(), succeeded);
        assertEquals(409, ended.status(), ended.toString());
        assertEquals("RunEnded", ended.errorCode(), ended.toString());
        JsonNode previousAfter = api.run(previous);
        assertEquals(previousRun.path("output"), previousAfter.path("output"), previousAfter.toString());
        assertEquals(previousRun.path("finishedAt"), previousAfter.path("finishedAt"), previousAfter.toString());
        assertEquals(1, api.events(previous).size(), "its first line; the last is its output: " + api.events(previous));

        // The current run ends as its daemon reports it.
        JsonNode currentRun = release(daemon, thread, current);
        assertEquals("SUCCEEDED", currentRun.path("status").asText(), currentRun + "\n" + daemon.log());
        assertEquals(Api.JSON.createObjectNode().put("run", current), currentRun.path("output"), currentRun.toString());
        assertEquals(2, currentRun.path("staleWrites").asInt(), currentRun.toString());
        List<JsonNode> events = api.events(current);
        assertEquals(List.of("start " + current),
                events.stream().map(e -> e.path("data").path("line").asText()).toList(), events.toString());
        events.forEach(e -> assertEquals(newToken, e.path("fenceToken").asLong(), e.toString()));
    }

    /** Lets the run's command finish once it has started; returns the ended run. */
    private static JsonNode release(DesktopDaemon daemon, String thread, String runId) {
        Poll.until(Duration.ofSeconds(30), "run " + runId + "'s command runs", () -> api.events(runId), e -> !e.isEmpty());
        try {
            Files.writeString(daemon.workDir(thread).resolve("release-" + runId), "go");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return api.awaitTerminal(runId, Duration.ofSeconds(60));
    }
}
