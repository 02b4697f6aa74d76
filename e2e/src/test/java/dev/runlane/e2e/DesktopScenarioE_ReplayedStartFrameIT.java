package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Desktop e. A start frame with a lower fence token than one the daemon has already seen for the
 * working directory is refused by the daemon: its command does not run. The API never issues such a
 * frame (a start frame is written only under the thread's newest token), so it is put straight into
 * the frames table through the AWS endpoint:
 * <ol>
 * <li>the thread's first (ended) run's frame again: the API drops it (a start frame of an ended run is
 *     never delivered) and nothing runs;</li>
 * <li>a frame with the first run's (old) token for the running second run: the daemon refuses it;</li>
 * <li>after a daemon restart, a frame with that old token for a third run, ahead of that run's real
 *     frame: the restarted daemon refuses it (it keeps the directory's highest token on disk) and runs
 *     the real one.</li>
 * </ol>
 */
class DesktopScenarioE_ReplayedStartFrameIT extends DesktopScenario {
    /** Appends "runId token" to a file for every run it executes, then waits for the test's go. */
    private static final String COMMAND = "echo \"$RUNLANE_RUN_ID $RUNLANE_FENCE_TOKEN\" >> ran; "
            + "while [ ! -e release-$RUNLANE_RUN_ID ]; do sleep 0.1; done; echo ok";

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aStartFrameWithALowerTokenIsRefusedByTheDaemon() {
        DesktopDaemon daemon = daemon("de");
        daemon.start(COMMAND);
        String thread = Ids.thread("de");
        String first = start(daemon, thread, 1);
        String second = start(daemon, thread, 2);
        JsonNode firstRun = release(daemon, thread, first);
        assertEquals("SUCCEEDED", firstRun.path("status").asText(), firstRun + "\n" + daemon.log());
        long oldToken = firstRun.path("fenceToken").asLong();
        JsonNode secondRunning = awaitCommand(daemon, thread, second);
        long newToken = secondRunning.path("fenceToken").asLong();
        assertTrue(oldToken < newToken, firstRun + " then " + secondRunning);
        String ran = first + " " + oldToken + "\n" + second + " " + newToken + "\n";
        assertEquals(ran, ranIn(daemon, thread));

        // 1. The first run's start frame again: it has ended, so the API does not deliver it.
        putStart(daemon, thread, first, oldToken, Instant.now().toEpochMilli());
        Poll.until(Duration.ofSeconds(30), "the ended run's replayed frame is taken out of the channel",
                () -> pendingFrames(daemon).size(), pending -> pending == 0);
        assertEquals(1, daemon.logLines(first).stream().filter(line -> line.contains("started '")).count(), daemon.log());

        // 2. The old token for the running second run: the daemon refuses it; the second run's command runs once.
        putStart(daemon, thread, second, oldToken, Instant.now().toEpochMilli());
        awaitRefusals(daemon, second, oldToken, newToken, 1);
        assertEquals(ran, ranIn(daemon, thread), "the lower-token frame ran nothing");
        JsonNode secondRun = release(daemon, thread, second);
        assertEquals("SUCCEEDED", secondRun.path("status").asText(), secondRun + "\n" + daemon.log());
        assertEquals(1, daemon.logLines(second, "started '").size(), daemon.log());

        // 3. A restarted daemon: the third run is dispatched while it is away; the old token arrives first.
        daemon.stop();
        String third = start(daemon, thread, 3);
        Map<String, AttributeValue> real = Poll.until(Duration.ofSeconds(30), "run " + third + "'s start frame waits",
                () -> pendingFrames(daemon), frames -> frames.size() == 1).get(0);
        long thirdToken = Long.parseLong(real.get("fenceToken").n());
        assertTrue(thirdToken > newToken, real.toString());
        long realMillis = Long.parseLong(real.get("frameId").s().substring(0, 13));
        putStart(daemon, thread, third, oldToken, realMillis - 1);
        daemon.start(COMMAND);
        JsonNode thirdRunning = awaitCommand(daemon, thread, third);
        awaitRefusals(daemon, third, oldToken, newToken, 1);
        ran += third + " " + thirdToken + "\n";
        assertEquals(ran, ranIn(daemon, thread), "only the real frame ran: " + thirdRunning);
        JsonNode thirdRun = release(daemon, thread, third);
        assertEquals("SUCCEEDED", thirdRun.path("status").asText(), thirdRun + "\n" + daemon.log());
        assertEquals(1, daemon.logLines(third, "started '").size(), daemon.log());
        assertEquals(ran, ranIn(daemon, thread));
        assertEquals(List.of(), pendingFrames(daemon));
    }

    private static String start(DesktopDaemon daemon, String thread, int n) {
        return api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", n))).path("runId").asText();
    }

    /** Waits until the run's command has started (it wrote its line); returns the run. */
    private static JsonNode awaitCommand(DesktopDaemon daemon, String thread, String runId) {
        Poll.until(Duration.ofSeconds(30), "run " + runId + "'s command runs", () -> ranIn(daemon, thread),
                ran -> ran.contains(runId + " "));
        JsonNode run = api.run(runId);
        assertEquals("RUNNING", run.path("status").asText(), run.toString());
        return run;
    }

    /** Lets the run's command finish once it has started; returns the ended run. */
    private static JsonNode release(DesktopDaemon daemon, String thread, String runId) {
        awaitCommand(daemon, thread, runId);
        try {
            Files.writeString(daemon.workDir(thread).resolve("release-" + runId), "go");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return api.awaitTerminal(runId, Duration.ofSeconds(60));
    }

    /** Puts a start frame for the run into the daemon's channel, as the dispatch writes one. */
    private static void putStart(DesktopDaemon daemon, String thread, String runId, long token, long millis) {
        Instant at = Instant.ofEpochMilli(millis);
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("daemonId", s(daemon.id()));
        item.put("frameId", s(String.format("%013d-start-%s", millis, runId)));
        item.put("kind", s("start"));
        item.put("runId", s(runId));
        item.put("threadId", s(thread));
        item.put("fenceToken", AttributeValue.fromN(Long.toString(token)));
        item.put("input", s("{\"replayed\":true}"));
        item.put("createdAt", s(at.toString()));
        item.put("expiresAt", AttributeValue.fromN(Long.toString(at.plus(Duration.ofDays(1)).getEpochSecond())));
        stack.dynamo().putItem(r -> r.tableName(stack.framesTable()).item(item));
    }

    /** Waits until the daemon has refused {@code count} lower-token frames of the run and acknowledged them. */
    private static void awaitRefusals(DesktopDaemon daemon, String runId, long oldToken, long newToken, int count) {
        String refusal = "refused: token " + oldToken + " is lower than the highest token " + newToken;
        Poll.until(Duration.ofSeconds(30), "the daemon refuses the lower-token frame of " + runId + " and acknowledges it",
                () -> daemon.logLines(runId, refusal).size() + " refusals, " + pendingFrames(daemon).size() + " frames pending",
                state -> state.equals(count + " refusals, 0 frames pending"));
    }

    private static List<Map<String, AttributeValue>> pendingFrames(DesktopDaemon daemon) {
        return stack.dynamo().query(r -> r.tableName(stack.framesTable()).keyConditionExpression("daemonId = :d")
                .expressionAttributeValues(Map.of(":d", s(daemon.id()))).consistentRead(true)).items();
    }

    private static String ranIn(DesktopDaemon daemon, String thread) {
        return DesktopDaemon.read(daemon.workDir(thread).resolve("ran")).orElse("");
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }
}
