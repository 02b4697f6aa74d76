package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
 * Desktop l (issue 18, item 3). An operator revokes a daemon ({@code DELETE /daemons/{daemonId}}) or rotates
 * its credential ({@code POST /daemons/{daemonId}/credential}): the old credential is refused (401) at once,
 * on frames and on reports. A revoked daemon's undelivered start frame fails its run with DaemonRevoked at
 * once (not at the heartbeat window); a rotated daemon, started again with the new credential, runs the frame
 * that waited for it.
 */
class DesktopScenarioL_RevokedAndRotatedCredentialsIT extends DesktopScenario {
    private static final String COMMAND = "echo \"ran $RUNLANE_RUN_ID\"; echo '{\"done\":true}'";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRotatedCredentialIsRefusedAtOnceAndTheNewOneRunsTheWaitingFrame() throws Exception {
        DesktopDaemon daemon = daemon("dl");
        daemon.start(COMMAND);
        String thread = Ids.thread("dl");
        String first = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", 1))).path("runId").asText();
        assertEquals("SUCCEEDED", api.awaitTerminal(first, Duration.ofSeconds(60)).path("status").asText(), daemon.log());

        Api.Response rotated = api.rotateDaemonCredential(daemon.id());
        assertEquals(200, rotated.status(), rotated.toString());
        String fresh = rotated.body().path("credential").asText();
        assertTrue(fresh.startsWith("rld." + daemon.id() + "."), rotated.toString());
        assertNotEquals(daemon.credential(), fresh);

        // At once: the old credential gets no frame and has no report accepted; the new one is served.
        expectUnauthorized(api.frames(daemon.id(), daemon.credential(), 0));
        expectUnauthorized(api.report(first, daemon.credential(), Api.reportBody("heartbeat", 1)));
        assertEquals(200, api.frames(daemon.id(), fresh, 0).status());
        // The daemon still running with the old credential is refused on its next poll and exits 3.
        assertEquals(3, daemon.awaitExit(Duration.ofSeconds(30)), daemon.log());
        assertEquals(1, daemon.logLines("rejected this daemon's credential").size(), daemon.log());

        // A run dispatched meanwhile waits for its daemon, which, started with the new credential, runs it.
        String second = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", 2))).path("runId").asText();
        Poll.until(Duration.ofSeconds(30), "run " + second + " is dispatched", () -> api.run(second),
                r -> "RUNNING".equals(r.path("status").asText()));
        Path freshFile = daemon.credentialFile().resolveSibling("rotated-credential");
        DesktopDaemon.writeCredential(freshFile, fresh);
        daemon.start(COMMAND, freshFile);
        JsonNode run = api.awaitTerminal(second, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", run.path("status").asText(), run + "\n" + daemon.log());
        assertEquals(Api.JSON.readTree("{\"done\":true}"), run.path("output"), run.toString());
        assertEquals(List.of("ran " + second), api.events(second).stream()
                .map(e -> e.path("data").path("line").asText()).toList(), "one progress event per line but the output");

        assertEquals(404, api.rotateDaemonCredential("e2e-dl-never-" + Ids.random()).status(), "an unknown daemon");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRevokedDaemonIsRefusedAtOnceAndItsUndeliveredRunFails() throws Exception {
        DesktopDaemon daemon = daemon("dl");
        String thread = Ids.thread("dl");
        // Not started: the run's start frame waits in its channel.
        String runId = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", 1))).path("runId").asText();
        JsonNode dispatched = Poll.until(Duration.ofSeconds(30), "run " + runId + " is dispatched", () -> api.run(runId),
                r -> "RUNNING".equals(r.path("status").asText()) && r.path("fenceToken").isNumber());
        long token = dispatched.path("fenceToken").asLong();
        // The dispatch takes the token, then writes the frame: the frame follows within the dispatch (CI under load saw
        // the token first).
        Poll.until(Duration.ofSeconds(30), "run " + runId + "'s start frame waits in its daemon's channel",
                () -> api.frames(daemon.id(), daemon.credential(), 0).body().path("frames").size(), frames -> frames == 1);

        Instant revokedAt = Instant.now();
        Api.Response revoked = api.revokeDaemon(daemon.id());
        assertEquals(200, revoked.status(), revoked.toString());
        assertEquals(List.of(runId), Api.JSON.convertValue(revoked.body().path("failedRuns"), List.class), revoked.toString());

        expectUnauthorized(api.frames(daemon.id(), daemon.credential(), 0));
        expectUnauthorized(api.report(runId, daemon.credential(), Api.reportBody("heartbeat", token)));
        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(30));
        assertEquals("FAILED", run.path("status").asText(), run.toString());
        assertEquals("DaemonRevoked", run.path("error").path("code").asText(), run.toString());
        Duration took = Duration.between(revokedAt, Api.time(run, "finishedAt"));
        assertTrue(took.compareTo(Duration.ofSeconds(E2eStack.HEARTBEAT_SECONDS)) < 0,
                "failed at once, not at the heartbeat window: " + took);

        // A daemon started with the revoked credential exits 3 and runs nothing.
        daemon.start(COMMAND);
        assertEquals(3, daemon.awaitExit(Duration.ofSeconds(30)), daemon.log());
        assertEquals(List.of(), daemon.logLines(runId), daemon.log());

        // Revoked and cleaned up: a repeat says there is no such daemon; the id can be registered again, afresh.
        assertEquals(404, api.revokeDaemon(daemon.id()).status());
        String again = api.daemonCredential(daemon.id());
        Api.Response none = api.frames(daemon.id(), again, 0);
        assertEquals(200, none.status(), none.toString());
        assertEquals(0, none.body().path("frames").size(), "the revoked daemon's frames are gone: " + none);
    }

    private static void expectUnauthorized(Api.Response response) {
        assertEquals(401, response.status(), response.toString());
        assertEquals("Unauthorized", response.errorCode(), response.toString());
        assertTrue(response.body().path("frames").isMissingNode(), response.toString());
    }
}
