package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * g. Cancel a QUEUED run: CANCELLED, never executed. Cancel a RUNNING run: CANCELLED, its execution stopped
 * (ABORTED, or FAILED RunCancelled if its attempt met the fence first), its in-flight attempt fenced out; the
 * thread's next run starts and succeeds.
 */
class ScenarioG_CancelIT extends Scenario {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void cancellingAQueuedAndARunningRun() {
        String thread = Ids.thread("g");
        String running = api.startRun(thread, Api.simulated(60_000, 200)).path("runId").asText();
        String queued = api.startRun(thread, Api.echo("cancelled while queued")).path("runId").asText();
        String next = api.startRun(thread, Api.echo("runs after the cancels")).path("runId").asText();

        // The long run is executing (its agent writes progress); the other two wait behind it.
        Poll.until(Duration.ofSeconds(30), "run " + running + " is RUNNING with progress",
                () -> api.events(running), events -> !events.isEmpty());
        JsonNode beforeCancel = api.run(running);
        assertEquals("RUNNING", beforeCancel.path("status").asText(), beforeCancel.toString());
        assertEquals(1, beforeCancel.path("attempts").asInt(), "still in its first attempt: " + beforeCancel);
        assertEquals("QUEUED", api.run(queued).path("status").asText());

        // Cancel the QUEUED run.
        Api.Response cancelledQueued = api.cancel(queued);
        assertEquals(200, cancelledQueued.status(), cancelledQueued.toString());
        assertEquals("CANCELLED", cancelledQueued.body().path("status").asText(), cancelledQueued.toString());

        // Cancel the RUNNING run.
        Api.Response cancelledRunning = api.cancel(running);
        Instant answered = Instant.now();
        assertEquals(200, cancelledRunning.status(), cancelledRunning.toString());
        assertEquals("CANCELLED", cancelledRunning.body().path("status").asText(), cancelledRunning.toString());
        String executionArn = cancelledRunning.body().path("executionArn").asText();
        awaitStoppedByCancel(executionArn, answered);
        // Its agent keeps working: its next write is refused by the fence.
        JsonNode fenced = Poll.until(Duration.ofSeconds(20), "run " + running + "'s in-flight attempt is fenced out",
                () -> api.run(running), r -> r.path("staleWrites").asInt() >= 1);
        assertEquals("CANCELLED", fenced.path("status").asText(), fenced.toString());
        assertTrue(fenced.path("output").isNull(), fenced.toString());
        assertEquals(1, fenced.path("attempts").asInt(), "cancelled in its first attempt: " + fenced);

        // The thread moves on.
        JsonNode after = api.awaitTerminal(next, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", after.path("status").asText(), after.toString());
        assertFalse(Api.time(after, "startedAt").isBefore(Api.time(fenced, "finishedAt")), after.toString());

        // The queued run never executed: by now the gate has passed its message (the next run was behind it).
        JsonNode neverRan = api.run(queued);
        assertEquals("CANCELLED", neverRan.path("status").asText(), neverRan.toString());
        assertEquals(0, neverRan.path("attempts").asInt(), neverRan.toString());
        assertTrue(neverRan.path("startedAt").isNull(), neverRan.toString());
        assertTrue(neverRan.path("executionArn").isNull(), neverRan.toString());
        assertEquals(List.of(), stack.executionsNamed(queued), "no execution named " + queued);
        assertEquals(List.of(), api.events(queued));
        // Still so once the cancelled run's attempt has stopped.
        assertEquals("CANCELLED", api.run(running).path("status").asText());
    }
}
