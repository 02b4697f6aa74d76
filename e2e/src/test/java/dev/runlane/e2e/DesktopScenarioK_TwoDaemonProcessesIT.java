package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Desktop k. Two processes of one daemon (one daemon id and credential, two roots: a daemon started on two
 * machines, or twice) poll the same frames. Each start frame runs once: a process claims the frame by
 * acknowledging it, a conditional delete, and only the process whose delete removed it runs the command.
 * Every run succeeds, its command ran once, and one output and one progress event were accepted.
 */
class DesktopScenarioK_TwoDaemonProcessesIT extends DesktopScenario {
    private static final int RUNS = 6;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void eachStartFrameRunsOnceWhenTwoProcessesShareACredential() throws IOException {
        DesktopDaemon daemon = daemon("dk");
        DesktopDaemon second = secondProcess(daemon);
        Path ran = Files.createDirectories(DesktopDaemon.BASE.resolve(daemon.id() + "-ran"));
        String command = "echo \"$PWD\" >> '" + ran + "'/$RUNLANE_RUN_ID; sleep 0.5; echo \"done $RUNLANE_RUN_ID\"";
        daemon.start(command);
        second.start(command);

        // One thread: its runs one after another, each frame raced by both processes. Six threads at once made a
        // dozen API calls at once on a 2-core machine, whose cold sandboxes can answer a start's poll, claim and
        // pre-start heartbeat after the e2e stack's 10 s heartbeat window (then the run times out, safely, but this
        // scenario is about the claim).
        String thread = Ids.thread("dk");
        List<String> runIds = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            runIds.add(api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", i)))
                    .path("runId").asText());
        }
        List<JsonNode> runs = new ArrayList<>();
        for (String runId : runIds) {
            runs.add(api.awaitTerminal(runId, Duration.ofSeconds(60)));
        }
        // Time for a second start of any run (a poll and a pre-start heartbeat) to show.
        sleep(Duration.ofSeconds(3));
        // Never twice (checked first: on an overloaded machine a run can still time out on the server) ...
        for (String runId : runIds) {
            List<String> executions = DesktopDaemon.read(ran.resolve(runId)).orElse("").lines().toList();
            assertTrue(executions.size() <= 1, "run " + runId + "'s command ran in " + executions + "\n" + daemon.log() + second.log());
            assertTrue(daemon.logLines(runId, "started '").size() + second.logLines(runId, "started '").size() <= 1);
        }
        // ... and each run once, to its end.
        for (JsonNode run : runs) {
            String runId = run.path("runId").asText();
            assertEquals("SUCCEEDED", run.path("status").asText(), run + "\n" + daemon.log() + second.log());
            assertEquals(TextNode.valueOf("done " + runId), run.path("output"), run.toString());
            assertEquals(1, DesktopDaemon.read(ran.resolve(runId)).orElse("").lines().count());
            assertEquals(1, api.events(runId).size(), "one progress line accepted: " + api.events(runId));
        }
        System.out.printf("[e2e] desktop k: %d runs, %d started by the first process, %d by the second%n", RUNS,
                daemon.logLines("started '").size(), second.logLines("started '").size());
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
