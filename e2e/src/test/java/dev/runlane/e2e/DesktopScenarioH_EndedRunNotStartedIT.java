package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Desktop h (beyond issue 4's a-g). A daemon that was away while its run ended (TIMED_OUT: nobody
 * heartbeated) must not run that run's command when it comes back: the run is over, and its command
 * would work in the thread's directory for a run nobody waits for. (The API drops such a frame: it
 * acknowledges it on the daemon's behalf instead of delivering it.)
 */
class DesktopScenarioH_EndedRunNotStartedIT extends DesktopScenario {
    private static final String COMMAND = "echo \"$RUNLANE_RUN_ID\" >> ran; sleep 5; echo done";

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aReturningDaemonDoesNotRunTheCommandOfARunThatHasEnded() {
        DesktopDaemon daemon = daemon("dh");
        String thread = Ids.thread("dh");
        String runId = api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode().put("n", 1)))
                .path("runId").asText();
        JsonNode ended = api.awaitTerminal(runId, Duration.ofSeconds(E2eStack.HEARTBEAT_SECONDS + 30));
        assertEquals("TIMED_OUT", ended.path("status").asText(), ended.toString());

        daemon.start(COMMAND);
        // The daemon has handled its channel: nothing is left for it (an ended run's frame is dropped or refused).
        Poll.until(Duration.ofSeconds(20), "daemon " + daemon.id() + "'s channel is empty", () -> stack.dynamo()
                .query(r -> r.tableName(stack.framesTable()).keyConditionExpression("daemonId = :d")
                        .expressionAttributeValues(Map.of(":d", AttributeValue.fromS(daemon.id()))).consistentRead(true))
                .count(), pending -> pending == 0);
        assertEquals("", DesktopDaemon.read(daemon.workDir(thread).resolve("ran")).orElse(""),
                "the ended run's command ran:\n" + daemon.log());
        assertEquals(java.util.List.of(), daemon.logLines(runId, "started '"), daemon.log());
        assertEquals(ended, api.run(runId));
    }
}
