package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Desktop g. A wrong credential gets 401 (none, malformed, or a wrong secret), another daemon's
 * credential 403 on this daemon's frames and, on a report, 404 RunNotFound exactly as for a run that
 * does not exist (no daemon can probe which run ids exist); it touches nothing: no frame is delivered
 * with it, no report is accepted, and a daemon started with it exits 3 without running anything. The run's start frame stays waiting for its
 * daemon, which runs it once started with its own credential.
 */
class DesktopScenarioG_WrongCredentialIT extends DesktopScenario {
    /** Prints a line, waits for the test's go (a file in the working directory), then succeeds. */
    private static final String COMMAND = "echo \"$RUNLANE_RUN_ID\" >> ran; echo started; "
            + "while [ ! -e release ]; do sleep 0.1; done; echo '{\"done\":true}'";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aWrongCredentialGetsNoFrameAndNoReportAccepted() throws Exception {
        DesktopDaemon daemon = daemon("dg");
        DesktopDaemon other = daemon("dg-other");
        String wrong = "rld." + daemon.id() + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        Path wrongFile = daemon.credentialFile().resolveSibling("wrong-credential");
        DesktopDaemon.writeCredential(wrongFile, wrong);
        String thread = Ids.thread("dg");
        String runId = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("task", "g")))
                .path("runId").asText();
        // Dispatched: its start frame waits in the daemon's channel (and the heartbeat window runs from now).
        JsonNode dispatched = Poll.until(Duration.ofSeconds(30), "run " + runId + " is dispatched", () -> api.run(runId),
                r -> "RUNNING".equals(r.path("status").asText()) && r.path("fenceToken").isNumber());
        Instant dispatchedAt = Instant.now();
        long token = dispatched.path("fenceToken").asLong();

        // A daemon with a wrong credential: its first poll is refused, it exits 3 and runs nothing.
        daemon.start(COMMAND, wrongFile);
        // Meanwhile, the frames with a wrong credential: 401/403, no frames.
        expectRefused(401, api.frames(daemon.id(), null, 0));
        expectRefused(401, api.frames(daemon.id(), "not-a-credential", 0));
        expectRefused(401, api.frames(daemon.id(), wrong, 0));
        expectRefused(403, api.frames(daemon.id(), other.credential(), 0));
        Api.Response othersOwn = api.frames(other.id(), other.credential(), 0);
        assertEquals(200, othersOwn.status(), othersOwn.toString());
        assertEquals(0, othersOwn.body().path("frames").size(), "the run's frame is not another daemon's: " + othersOwn);
        assertEquals(3, daemon.awaitExit(Duration.ofSeconds(30)), daemon.log());
        assertEquals(1, daemon.logLines("rejected this daemon's credential").size(), daemon.log());
        assertEquals(List.of(), daemon.logLines(runId), "the wrong-credential daemon saw nothing of the run:\n" + daemon.log());
        assertFalse(Files.exists(daemon.workDir(thread)), "nothing ran for the thread");
        assertUntouched(runId, token, List.of());

        // The run's daemon, with its own credential, gets the frame that was waiting, and runs it.
        daemon.start(COMMAND);
        Poll.until(Duration.ofSeconds(30), "run " + runId + "'s command runs", () -> api.events(runId), e -> !e.isEmpty());
        System.out.printf("[e2e] desktop g: the daemon with its own credential ran the command %.1f s after the dispatch "
                + "(heartbeat window %d s)%n", Duration.between(dispatchedAt, Instant.now()).toMillis() / 1000.0,
                E2eStack.HEARTBEAT_SECONDS);

        // Reports with a wrong credential, while the run runs: 401, or as for no run at all (404), nothing written.
        ObjectNode progress = Api.reportBody("progress", token);
        progress.putObject("data").put("line", "forged");
        ObjectNode succeeded = Api.reportBody("succeeded", token);
        succeeded.putObject("output").put("forged", true);
        expectRefused(401, api.report(runId, null, succeeded));
        expectRefused(401, api.report(runId, wrong, progress));
        expectRefused(401, api.report(runId, wrong, succeeded));
        Api.Response notOurs = api.report(runId, other.credential(), progress);
        expectRefused(404, notOurs);
        expectRefused(404, api.report(runId, other.credential(), succeeded));
        Api.Response nowhere = api.report(Ids.thread("dg-none"), other.credential(), progress);
        expectRefused(404, nowhere);
        assertEquals("RunNotFound", notOurs.errorCode(), notOurs.toString());
        assertEquals(nowhere.errorCode(), notOurs.errorCode());
        assertUntouched(runId, token, List.of("started"));

        // Its own daemon ends it.
        Files.writeString(daemon.workDir(thread).resolve("release"), "go");
        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", run.path("status").asText(), run + "\n" + daemon.log());
        assertEquals(Api.JSON.createObjectNode().put("done", true), run.path("output"), run.toString());
        assertEquals(0, run.path("staleWrites").asInt(), run.toString());
        assertEquals(List.of("started"), lines(runId), "the last line is the output, not an event");
        assertEquals(runId + "\n", DesktopDaemon.read(daemon.workDir(thread).resolve("ran")).orElse(""), "ran once");
    }

    private static void expectRefused(int status, Api.Response response) {
        assertEquals(status, response.status(), response.toString());
        assertTrue(response.body().path("frames").isMissingNode(), "no frames with a refusal: " + response);
        assertFalse(response.raw().contains("taskToken") || response.raw().contains("\"input\""), response.toString());
    }

    private static void assertUntouched(String runId, long token, List<String> lines) {
        JsonNode run = api.run(runId);
        assertEquals("RUNNING", run.path("status").asText(), run.toString());
        assertEquals(token, run.path("fenceToken").asLong(), run.toString());
        assertTrue(run.path("output").isNull(), run.toString());
        assertEquals(0, run.path("staleWrites").asInt(), run.toString());
        assertEquals(lines, lines(runId));
    }

    private static List<String> lines(String runId) {
        return api.events(runId).stream().map(e -> e.path("data").path("line").asText()).toList();
    }
}
