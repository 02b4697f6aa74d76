package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/**
 * Desktop c. Cancelling a desktop run while its command runs: the run is CANCELLED, its execution
 * ABORTED, and the daemon (cancel frame) kills the command's whole process tree: the shell and the
 * child it started are gone; nothing more of the run is recorded.
 */
class DesktopScenarioC_CancelIT extends DesktopScenario {
    /** A shell with a long-running child; both leave their pids. */
    private static final String COMMAND = "echo $$ > pid; sleep 300 & echo $! > child; echo running; wait; "
            + "echo ended > ended";

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void cancellingARunningDesktopRunKillsItsCommand() {
        DesktopDaemon daemon = daemon("dc");
        daemon.start(COMMAND);
        String thread = Ids.thread("dc");
        String runId = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("task", "long")))
                .path("runId").asText();
        Path workDir = daemon.workDir(thread);
        Poll.until(Duration.ofSeconds(30), "run " + runId + "'s command runs and reports its line",
                () -> api.events(runId), events -> !events.isEmpty() && Files.exists(workDir.resolve("child")));
        long shell = DesktopDaemon.pidIn(workDir.resolve("pid"));
        long child = DesktopDaemon.pidIn(workDir.resolve("child"));
        assertTrue(DesktopDaemon.running(shell) && DesktopDaemon.running(child), "the command runs");
        JsonNode running = api.run(runId);
        assertEquals("RUNNING", running.path("status").asText(), running.toString());

        Api.Response cancelled = api.cancel(runId);
        assertEquals(200, cancelled.status(), cancelled.toString());
        assertEquals("CANCELLED", cancelled.body().path("status").asText(), cancelled.toString());

        // The process is gone: the shell and its child.
        Poll.until(Duration.ofSeconds(20), "the command's processes " + shell + " and " + child + " are gone",
                () -> DesktopDaemon.running(shell) || DesktopDaemon.running(child), stillRunning -> !stillRunning);
        // The daemon learns of the cancel from its cancel frame or, if its next heartbeat comes first,
        // from that heartbeat's 409 RunEnded (seen on two cores under load): either way it stops the run once.
        assertTrue(daemon.logLines(runId, "cancel frame, stopping the run").size()
                + daemon.logLines(runId, "409 RunEnded").size() >= 1, daemon.log());
        assertEquals(1, daemon.logLines(runId, ": killed").size(), daemon.log());
        assertFalse(Files.exists(workDir.resolve("ended")), "the command was killed, not ended");
        String executionArn = cancelled.body().path("executionArn").asText();
        Poll.until(Duration.ofSeconds(20), "execution " + executionArn + " is ABORTED",
                () -> stack.sfn().describeExecution(r -> r.executionArn(executionArn)).status(),
                status -> status == ExecutionStatus.ABORTED);

        JsonNode after = api.run(runId);
        assertEquals("CANCELLED", after.path("status").asText(), after.toString());
        assertTrue(after.path("output").isNull(), after.toString());
        assertEquals(1, after.path("attempts").asInt(), after.toString());
        List<JsonNode> events = api.events(runId);
        assertEquals(List.of("running"), events.stream().map(e -> e.path("data").path("line").asText()).toList(),
                events.toString());
        // The daemon reported nothing for it after the kill (no end, the run stays CANCELLED).
        assertEquals(List.of(), daemon.logLines(runId, "reported"), daemon.log());
    }
}
