package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
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
 * Desktop i. A frame's id is its dispatcher's clock, read before a write that may be retried for a while,
 * so frames can commit out of id order. A start frame that commits after a later-stamped frame the daemon
 * has already read still reaches the daemon, and its run succeeds (it used to be skipped by the daemon's
 * cursor: the run timed out while its daemon was healthy). Made deterministic through the frames table:
 * with the daemon stopped (SIGSTOP), the run's start frame is taken out as if its write had not committed
 * yet and a later-stamped frame (a cancel frame of another run) is put in; the daemon resumes, reads and
 * acknowledges the later frame, and only then does the start frame commit.
 */
class DesktopScenarioI_LateFrameIT extends DesktopScenario {
    private static final String COMMAND = "echo \"ran $RUNLANE_RUN_ID\"";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aStartFrameCommittedAfterALaterStampedOneTheDaemonHasReadStillRuns() {
        DesktopDaemon daemon = daemon("di");
        daemon.start(COMMAND);
        String thread = Ids.thread("di");
        Map<String, AttributeValue> start;
        Map<String, AttributeValue> later;
        String runId;
        daemon.signal("STOP");
        try {
            runId = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", 1))).path("runId").asText();
            start = Poll.until(Duration.ofSeconds(30), "run " + runId + "'s start frame is written",
                    () -> frames(daemon), frames -> frames.size() == 1).get(0);
            delete(start); // its write has not committed yet
            long millis = Long.parseLong(start.get("frameId").s().substring(0, 13));
            later = cancelFrame(daemon, "run-" + Ids.random(), millis + 1);
            stack.dynamo().putItem(r -> r.tableName(stack.framesTable()).item(later));
        } finally {
            daemon.signal("CONT");
        }
        Poll.until(Duration.ofSeconds(20), "the daemon reads and acknowledges the later-stamped frame",
                () -> frames(daemon), List::isEmpty);
        assertTrue(start.get("frameId").s().compareTo(later.get("frameId").s()) < 0, start + " " + later);

        stack.dynamo().putItem(r -> r.tableName(stack.framesTable()).item(start)); // the late commit
        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", run.path("status").asText(), run + "\n" + daemon.log());
        assertEquals(TextNode.valueOf("ran " + runId), run.path("output"), run.toString());
        assertEquals(1, daemon.logLines(runId, "started '").size(), daemon.log());
        assertEquals(List.of(), frames(daemon));
    }

    private static Map<String, AttributeValue> cancelFrame(DesktopDaemon daemon, String runId, long millis) {
        Instant at = Instant.ofEpochMilli(millis);
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("daemonId", s(daemon.id()));
        item.put("frameId", s(String.format("%013d-cancel-%s", millis, runId)));
        item.put("kind", s("cancel"));
        item.put("runId", s(runId));
        item.put("threadId", s(Ids.thread("di-other")));
        item.put("fenceToken", AttributeValue.fromN("1"));
        item.put("createdAt", s(at.toString()));
        item.put("expiresAt", AttributeValue.fromN(Long.toString(at.plus(Duration.ofDays(1)).getEpochSecond())));
        return item;
    }

    private static void delete(Map<String, AttributeValue> frame) {
        stack.dynamo().deleteItem(r -> r.tableName(stack.framesTable())
                .key(Map.of("daemonId", frame.get("daemonId"), "frameId", frame.get("frameId"))));
    }

    private static List<Map<String, AttributeValue>> frames(DesktopDaemon daemon) {
        return stack.dynamo().query(r -> r.tableName(stack.framesTable()).keyConditionExpression("daemonId = :d")
                .expressionAttributeValues(Map.of(":d", s(daemon.id()))).consistentRead(true)).items();
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }
}
