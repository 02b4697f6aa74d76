package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;

/**
 * Desktop b. The daemon is killed (SIGKILL) while its command runs: nobody heartbeats any more, so
 * the run ends TIMED_OUT within the heartbeat window (plus a bound), after exactly one dispatch (one
 * start frame) and one start of its command. The thread's next run, queued behind it, is dispatched
 * then and executes once the daemon is back: the restarted daemon first kills the command its
 * crashed predecessor left running in the working directory.
 */
class DesktopScenarioB_DaemonKilledIT extends DesktopScenario {
    private static final int HEARTBEAT = E2eStack.HEARTBEAT_SECONDS;
    /** The first daemon's command: runs far longer than the scenario; leaves its pid and, if it ever ends, a mark. */
    private static final String COMMAND = "echo $$ > pid-$RUNLANE_RUN_ID; echo started; sleep 120; "
            + "echo finished > finished-$RUNLANE_RUN_ID";
    /** The restarted daemon's command. */
    private static final String NEXT_COMMAND = "echo \"next run $RUNLANE_RUN_ID\"";

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aKilledDaemonsRunTimesOutOnceAndTheThreadsNextRunExecutes() {
        DesktopDaemon daemon = daemon("db");
        daemon.start(COMMAND);
        String thread = Ids.thread("db");
        String first = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("step", 1)))
                .path("runId").asText();
        String next = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("step", 2)))
                .path("runId").asText();

        // The command runs (its first line is recorded) ...
        Poll.until(Duration.ofSeconds(30), "run " + first + "'s command runs and reports its first line",
                () -> api.events(first), events -> !events.isEmpty());
        long commandPid = DesktopDaemon.pidIn(daemon.workDir(thread).resolve("pid-" + first));
        // ... and the daemon's heartbeats keep the run RUNNING beyond the heartbeat window.
        Instant startedAt = Api.time(api.run(first), "startedAt");
        Instant beyondWindow = startedAt.plusSeconds(HEARTBEAT + 2);
        JsonNode heartbeating = Poll.until(Duration.ofSeconds(HEARTBEAT + 30), "run " + first + " is still RUNNING at "
                + beyondWindow, () -> api.run(first),
                r -> !"RUNNING".equals(r.path("status").asText()) || Instant.now().isAfter(beyondWindow));
        assertEquals("RUNNING", heartbeating.path("status").asText(), "heartbeats keep the run alive: " + heartbeating
                + "\n" + daemon.log());
        assertEquals("QUEUED", api.run(next).path("status").asText(), "the next run waits behind it");

        // The daemon dies; its command, like on a laptop, runs on.
        daemon.kill();
        Instant killedAt = Instant.now();
        assertTrue(DesktopDaemon.running(commandPid), "the command (pid " + commandPid + ") outlives its daemon");

        JsonNode timedOut = api.awaitTerminal(first, Duration.ofSeconds(HEARTBEAT + 30));
        assertEquals("TIMED_OUT", timedOut.path("status").asText(), timedOut.toString());
        Duration afterKill = Duration.between(killedAt, Api.time(timedOut, "finishedAt"));
        assertTrue(afterKill.compareTo(Duration.ofSeconds(HEARTBEAT + 20)) <= 0, "TIMED_OUT " + afterKill
                + " after the kill; the heartbeat window is " + HEARTBEAT + " s: " + timedOut);
        System.out.printf("[e2e] desktop b: TIMED_OUT (%s) %.1f s after the daemon was killed (heartbeat window %d s)%n",
                timedOut.path("error").path("code").asText(), afterKill.toMillis() / 1000.0, HEARTBEAT);
        assertTrue(timedOut.path("output").isNull(), timedOut.toString());
        // Exactly one start frame: one dispatch, one attempt, one execution, never retried.
        assertEquals(1, timedOut.path("attempts").asInt(), timedOut.toString());
        assertEquals(1, stack.executionsNamed(first).size());
        List<HistoryEvent> history = stack.history(timedOut.path("executionArn").asText());
        assertEquals(1, History.scheduled(history, "DesktopDispatchFunction").size(), History.describe(history));
        assertEquals(List.of(), History.scheduled(history, "HostedDispatchFunction"), History.describe(history));

        // The thread moves on: its next run is dispatched to the (dead) daemon, a newer token ...
        JsonNode dispatched = Poll.until(Duration.ofSeconds(30), "run " + next + " is dispatched", () -> api.run(next),
                r -> "RUNNING".equals(r.path("status").asText()) && r.path("fenceToken").isNumber());
        assertTrue(dispatched.path("fenceToken").asLong() > timedOut.path("fenceToken").asLong(),
                "next " + dispatched + " after " + timedOut);
        // ... and executes once the daemon is back.
        daemon.start(NEXT_COMMAND);
        JsonNode succeeded = api.awaitTerminal(next, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", succeeded.path("status").asText(), succeeded + "\n" + daemon.log());
        assertEquals(TextNode.valueOf("next run " + next), succeeded.path("output"), succeeded.toString());
        assertFalse(Api.time(succeeded, "startedAt").isBefore(Api.time(timedOut, "finishedAt")), succeeded.toString());

        // The restarted daemon killed the leftover command before it ran anything in the directory.
        assertFalse(DesktopDaemon.running(commandPid), "the crashed daemon's command (pid " + commandPid + ") still runs");
        assertEquals(1, daemon.logLines("left pid " + commandPid + " running").size(), daemon.log());
        Path finished = daemon.workDir(thread).resolve("finished-" + first);
        assertFalse(Files.exists(finished), "the timed-out run's command never finished");
        // Across both lives of the daemon, the timed-out run's command was started once (no second start frame).
        assertEquals(1, daemon.logLines(first, "started '").size(), daemon.log());
        assertEquals(1, daemon.logLines(next, "started '").size(), daemon.log());
        // Nothing of the timed-out run was accepted after it ended: its one progress line is all it has.
        assertEquals(1, api.events(first).size(), api.events(first).toString());
        assertEquals("TIMED_OUT", api.run(first).path("status").asText());
    }
}
