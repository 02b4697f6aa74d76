package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Desktop f. Desktop runs of one thread, started back to back, never overlap in the working
 * directory: each command records when it starts and ends (and takes a lock directory that an
 * overlapping command could not take); every run starts after the previous one ended, in start order.
 */
class DesktopScenarioF_NoOverlapIT extends DesktopScenario {
    private static final int RUNS = 3;
    private static final String COMMAND = "mkdir lock || { echo \"overlap\"; exit 1; }; "
            + "echo \"start $RUNLANE_RUN_ID $(date +%s%N)\" >> timeline; sleep 1; "
            + "echo \"end $RUNLANE_RUN_ID $(date +%s%N)\" >> timeline; rmdir lock; echo \"done $RUNLANE_RUN_ID\"";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void desktopRunsOfAThreadNeverOverlapInTheWorkingDirectory() {
        DesktopDaemon daemon = daemon("df");
        daemon.start(COMMAND);
        String thread = Ids.thread("df");
        List<String> runIds = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            runIds.add(api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", i)))
                    .path("runId").asText());
        }
        List<JsonNode> runs = new ArrayList<>();
        for (String runId : runIds) {
            JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(60));
            assertEquals("SUCCEEDED", run.path("status").asText(), run + "\n" + daemon.log());
            runs.add(run);
        }

        // The commands' own record: start, end, start, end ... in start order, times increasing.
        String timeline = DesktopDaemon.read(daemon.workDir(thread).resolve("timeline")).orElse("");
        List<String[]> entries = timeline.lines().map(line -> line.split(" ")).toList();
        assertEquals(2 * RUNS, entries.size(), timeline);
        long previous = 0;
        for (int i = 0; i < entries.size(); i++) {
            String[] entry = entries.get(i);
            assertEquals(i % 2 == 0 ? "start" : "end", entry[0], timeline);
            assertEquals(runIds.get(i / 2), entry[1], timeline);
            long at = Long.parseLong(entry[2]);
            assertTrue(at > previous, "the commands overlapped:\n" + timeline);
            previous = at;
        }
        // And the runs' own times: each started after the previous one finished.
        for (int i = 1; i < RUNS; i++) {
            assertFalse(Api.time(runs.get(i), "startedAt").isBefore(Api.time(runs.get(i - 1), "finishedAt")),
                    runs.get(i - 1) + "\n" + runs.get(i));
            assertTrue(runs.get(i).path("fenceToken").asLong() > runs.get(i - 1).path("fenceToken").asLong());
        }
        for (int i = 0; i < RUNS; i++) {
            assertEquals("done " + runIds.get(i), runs.get(i).path("output").asText(), runs.get(i).toString());
            assertEquals(1, daemon.logLines(runIds.get(i), "started '").size(), daemon.log());
        }
    }
}
