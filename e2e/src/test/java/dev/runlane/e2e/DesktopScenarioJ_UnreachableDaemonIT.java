package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Desktop j. A daemon that cannot heartbeat its run stops the run's command itself: the server times the
 * run out after its heartbeat window and the thread's next run starts, so a command left running would
 * work beside it. The daemon knows the window from the start frame and kills the command once no report
 * was accepted for that long (less its kill grace), measured on a monotonic clock:
 * <ol>
 * <li>network down (a proxy in front of the API is cut): the command has stopped before the run is
 *     TIMED_OUT, and before the thread's next run starts;</li>
 * <li>the daemon's JVM stopped (SIGSTOP) longer than the window: on SIGCONT it kills the command at once,
 *     before it reports anything more for the run.</li>
 * </ol>
 */
class DesktopScenarioJ_UnreachableDaemonIT extends DesktopScenario {
    private static final int HEARTBEAT = E2eStack.HEARTBEAT_SECONDS;
    /** Leaves its pid and a tick (epoch nanoseconds) every 100 ms, for a minute. */
    private static final String COMMAND = "echo $$ > pid-$RUNLANE_RUN_ID; echo started; i=0; "
            + "while [ $i -lt 600 ]; do date +%s%N >> ticks-$RUNLANE_RUN_ID; sleep 0.1; i=$((i+1)); done";

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void withItsNetworkDownTheDaemonStopsTheCommandBeforeTheRunTimesOut() throws Exception {
        DesktopDaemon daemon = daemon("dj");
        String thread = Ids.thread("dj");
        try (TcpProxy network = new TcpProxy(api.base())) {
            daemon.start(COMMAND, network.url());
            String first = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode())).path("runId").asText();
            String next = api.startRun(thread, Api.echo("next")).path("runId").asText();
            Poll.until(Duration.ofSeconds(30), "run " + first + "'s command runs", () -> api.events(first), e -> !e.isEmpty());

            network.cut();
            JsonNode timedOut = api.awaitTerminal(first, Duration.ofSeconds(HEARTBEAT + 30));
            assertEquals("TIMED_OUT", timedOut.path("status").asText(), timedOut + "\n" + daemon.log());
            JsonNode nextRun = api.awaitTerminal(next, Duration.ofSeconds(60));
            assertEquals("SUCCEEDED", nextRun.path("status").asText(), nextRun.toString());

            Path ticks = daemon.workDir(thread).resolve("ticks-" + first);
            Poll.until(Duration.ofSeconds(10), "the command's pid is gone",
                    () -> DesktopDaemon.running(DesktopDaemon.pidIn(daemon.workDir(thread).resolve("pid-" + first))), r -> !r);
            Instant lastTick = lastTick(ticks);
            System.out.printf("[e2e] desktop j: last tick %s, TIMED_OUT at %s, next run started %s%n",
                    lastTick, timedOut.path("finishedAt").asText(), nextRun.path("startedAt").asText());
            assertTrue(lastTick.isBefore(Api.time(timedOut, "finishedAt")), "the command ran on after its run timed out: last tick "
                    + lastTick + ", " + timedOut + "\n" + daemon.log());
            assertTrue(lastTick.isBefore(Api.time(nextRun, "startedAt")), "the command ran beside the thread's next run: last tick "
                    + lastTick + ", " + nextRun);
            assertEquals(1, daemon.logLines(first, "abandoned (no report accepted for").size(), daemon.log());
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aDaemonStoppedLongerThanTheWindowKillsTheCommandAtOnceWhenItResumes() {
        DesktopDaemon daemon = daemon("dj");
        String thread = Ids.thread("dj");
        daemon.start(COMMAND);
        String runId = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode())).path("runId").asText();
        Poll.until(Duration.ofSeconds(30), "run " + runId + "'s command runs", () -> api.events(runId), e -> !e.isEmpty());
        long pid = DesktopDaemon.pidIn(daemon.workDir(thread).resolve("pid-" + runId));

        daemon.signal("STOP"); // a laptop asleep, a process stopped: the command itself runs on meanwhile
        JsonNode timedOut;
        try {
            timedOut = api.awaitTerminal(runId, Duration.ofSeconds(HEARTBEAT + 30));
        } finally {
            daemon.signal("CONT");
        }
        Instant resumed = Instant.now();
        assertEquals("TIMED_OUT", timedOut.path("status").asText(), timedOut.toString());
        Poll.until(Duration.ofSeconds(10), "the command (pid " + pid + ") is killed", () -> DesktopDaemon.running(pid), r -> !r);
        Duration took = Duration.between(resumed, Instant.now());
        System.out.printf("[e2e] desktop j: the resumed daemon killed the command %.1f s after SIGCONT%n", took.toMillis() / 1000.0);
        assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "killed " + took + " after the daemon resumed\n" + daemon.log());
        // Killed by its own clock, before anything more was sent for the run (a report would have been refused 409).
        assertEquals(1, daemon.logLines(runId, "abandoned (no report accepted for").size(), daemon.log());
        List<String> answered = daemon.logLines(runId, "the API answered");
        assertFalse(answered.stream().anyMatch(line -> line.contains("409")), answered + "\n" + daemon.log());
    }

    private static Instant lastTick(Path ticks) {
        List<String> lines = DesktopDaemon.read(ticks).orElse("").lines().filter(l -> !l.isBlank()).toList();
        assertFalse(lines.isEmpty(), "no tick in " + ticks);
        long nanos = Long.parseLong(lines.get(lines.size() - 1).strip());
        return Instant.ofEpochSecond(0, nanos);
    }
}
