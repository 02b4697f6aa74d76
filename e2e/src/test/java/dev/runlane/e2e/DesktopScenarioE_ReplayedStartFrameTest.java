package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Desktop e. A start frame replayed with a lower fence token after a newer run ran in the working
 * directory is refused by the daemon: its command does not run. The API never issues such a frame
 * (a start frame is written only under the thread's newest token), so the replay is put straight
 * into the frames table through the AWS endpoint: the thread's first run's frame again, with its own
 * (now old) token. The refusal holds across a daemon restart: the daemon keeps the highest token per
 * working directory on disk.
 */
class DesktopScenarioE_ReplayedStartFrameTest extends DesktopScenario {
    /** Appends "runId token" to a file for every run it executes. */
    private static final String COMMAND = "echo \"$RUNLANE_RUN_ID $RUNLANE_FENCE_TOKEN\" >> ran; echo ok";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aStartFrameWithALowerTokenIsRefusedByTheDaemon() {
        DesktopDaemon daemon = daemon("de");
        daemon.start(COMMAND);
        String thread = Ids.thread("de");
        String first = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", 1)))
                .path("runId").asText();
        String second = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", 2)))
                .path("runId").asText();
        JsonNode firstRun = api.awaitTerminal(first, Duration.ofSeconds(60));
        JsonNode secondRun = api.awaitTerminal(second, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", firstRun.path("status").asText(), firstRun + "\n" + daemon.log());
        assertEquals("SUCCEEDED", secondRun.path("status").asText(), secondRun + "\n" + daemon.log());
        long oldToken = firstRun.path("fenceToken").asLong();
        long newToken = secondRun.path("fenceToken").asLong();
        assertTrue(oldToken < newToken, firstRun + " then " + secondRun);
        String ran = first + " " + oldToken + "\n" + second + " " + newToken + "\n";
        assertEquals(ran, ranIn(daemon, thread));

        // The first run's start frame again, after the newer one: refused, its command does not run.
        replayStart(daemon, thread, first, oldToken);
        awaitRefusals(daemon, first, oldToken, newToken, 1);
        assertEquals(ran, ranIn(daemon, thread), "the replayed frame ran nothing");

        // A restarted daemon remembers the directory's highest token and refuses it too.
        daemon.stop();
        daemon.start(COMMAND);
        replayStart(daemon, thread, first, oldToken);
        awaitRefusals(daemon, first, oldToken, newToken, 2);
        assertEquals(ran, ranIn(daemon, thread), "the replayed frame ran nothing after the restart");

        // The runs are as they ended; the replays started nothing.
        assertEquals(firstRun, api.run(first));
        assertEquals(secondRun, api.run(second));
        assertEquals(1, daemon.logLines(first, "started '").size(), daemon.log());
    }

    /** Puts a start frame for the run into the daemon's channel, as the dispatch writes one (fresh frame id). */
    private static void replayStart(DesktopDaemon daemon, String thread, String runId, long token) {
        Instant now = Instant.now();
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("daemonId", s(daemon.id()));
        item.put("frameId", s(String.format("%013d-start-%s", now.toEpochMilli(), runId)));
        item.put("kind", s("start"));
        item.put("runId", s(runId));
        item.put("threadId", s(thread));
        item.put("fenceToken", AttributeValue.fromN(Long.toString(token)));
        item.put("input", s("{\"n\":1}"));
        item.put("createdAt", s(now.toString()));
        item.put("expiresAt", AttributeValue.fromN(Long.toString(now.plus(Duration.ofDays(1)).getEpochSecond())));
        stack.dynamo().putItem(r -> r.tableName(stack.framesTable()).item(item));
    }

    /** Waits until the daemon has refused the replay ({@code count} refusals so far) and acknowledged it. */
    private static void awaitRefusals(DesktopDaemon daemon, String runId, long oldToken, long newToken, int count) {
        String refusal = "refused: token " + oldToken + " is lower than the highest token " + newToken;
        Poll.until(Duration.ofSeconds(30), "the daemon refuses the replayed frame of " + runId + " (refusal #" + count
                + ") and acknowledges it", () -> daemon.logLines(runId, refusal).size() + " refusals, "
                + pendingFrames(daemon) + " frames pending",
                state -> state.equals(count + " refusals, 0 frames pending"));
    }

    private static int pendingFrames(DesktopDaemon daemon) {
        return stack.dynamo().query(r -> r.tableName(stack.framesTable()).keyConditionExpression("daemonId = :d")
                .expressionAttributeValues(Map.of(":d", s(daemon.id()))).consistentRead(true)).count();
    }

    private static String ranIn(DesktopDaemon daemon, String thread) {
        return DesktopDaemon.read(daemon.workDir(thread).resolve("ran")).orElse("");
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }
}
