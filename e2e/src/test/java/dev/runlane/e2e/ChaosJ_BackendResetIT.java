package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Chaos j. The backend loses its fences (a stack deleted and deployed again; here: the thread's fence
 * and the backend's epoch are deleted, which is what such a backend looks like to the functions):
 * new runs on a thread the daemon has seen succeed, since their frames carry a new epoch. A truly
 * stale frame (a lower token of an epoch the daemon has seen: the fence alone lost, as a restore from
 * an older backup would make) fails its run at once with the daemon's reason, not after the heartbeat
 * window, and its command never runs.
 */
class ChaosJ_BackendResetIT extends ChaosScenario {
    private static final String COMMAND = "echo \"{\\\"token\\\":$RUNLANE_FENCE_TOKEN}\"";

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aDaemonServesAResetBackendAndFailsATrulyStaleFrameAtOnce() {
        DesktopDaemon daemon = daemon("cj");
        daemon.start(COMMAND);
        String thread = Ids.thread("cj");
        long before = succeed(daemon, thread);
        succeed(daemon, thread);

        lose(thread, true);
        JsonNode afterReset = api.awaitTerminal(start(daemon, thread), Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", afterReset.path("status").asText(), afterReset + "\n" + daemon.log());
        assertEquals(1, afterReset.path("fenceToken").asLong(),
                "the reset backend's tokens started again from 1 (token " + before + " before): " + afterReset);
        succeed(daemon, thread);

        lose(thread, false);
        String stale = start(daemon, thread);
        JsonNode failed = api.awaitTerminal(stale, Duration.ofSeconds(E2eStack.HEARTBEAT_SECONDS));
        assertEquals("FAILED", failed.path("status").asText(), failed + "\n" + daemon.log());
        assertEquals("StaleFenceToken", failed.path("error").path("code").asText(), failed.toString());
        Duration took = Duration.between(Api.time(failed, "startedAt"), Api.time(failed, "finishedAt"));
        assertTrue(took.compareTo(Duration.ofSeconds(E2eStack.HEARTBEAT_SECONDS)) < 0,
                "failed at once, not after the heartbeat window: " + took);
        assertEquals(0, daemon.logLines(stale, "started '").size(), "the stale frame's command never ran:\n" + daemon.log());

        // Its thread is not held up: the next run ends at once as well, whether its token is again one
        // the daemon's book holds for this epoch (refused, failing at once) or already above it (run):
        // the stale run's end may bump the fence once or twice (Record failure, then the reaper).
        JsonNode next = api.awaitTerminal(start(daemon, thread), Duration.ofSeconds(E2eStack.HEARTBEAT_SECONDS));
        String outcome = next.path("status").asText() + " " + next.path("error").path("code").asText("");
        assertTrue(java.util.Set.of("SUCCEEDED ", "FAILED FenceTokenConflict", "FAILED StaleFenceToken").contains(outcome),
                outcome + ": " + next + "\n" + daemon.log());
        System.out.printf("[e2e] chaos j: after a backend reset the daemon ran the thread's new runs; a stale frame failed in %.1f s%n",
                took.toMillis() / 1000.0);
    }

    private static String start(DesktopDaemon daemon, String thread) {
        return api.startRun(thread, Api.desktop(daemon.id(), Api.JSON.createObjectNode())).path("runId").asText();
    }

    private static long succeed(DesktopDaemon daemon, String thread) {
        JsonNode run = api.awaitTerminal(start(daemon, thread), Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", run.path("status").asText(), run + "\n" + daemon.log());
        return run.path("fenceToken").asLong();
    }

    /** Deletes the thread's fence, and with {@code epoch} the backend's identity too. */
    private static void lose(String thread, boolean epoch) {
        stack.dynamo().deleteItem(r -> r.tableName(stack.fencesTable()).key(Map.of("threadId", AttributeValue.fromS(thread))));
        if (epoch) {
            stack.dynamo().deleteItem(r -> r.tableName(stack.fencesTable()).key(Map.of("threadId", AttributeValue.fromS("#epoch"))));
        }
    }
}
