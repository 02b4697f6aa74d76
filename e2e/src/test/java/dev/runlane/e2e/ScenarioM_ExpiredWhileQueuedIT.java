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
import org.opentest4j.AssertionFailedError;

/**
 * m. expiresInSeconds: a run queued behind a busy thread whose deadline passes shows EXPIRED (Expired)
 * as soon as the deadline has passed, while the run before it is still RUNNING; it never executes (no
 * execution, never started); the run queued after it starts right after the busy run ends. Out of
 * range deadlines are refused and store nothing.
 */
class ScenarioM_ExpiredWhileQueuedIT extends Scenario {
    /** How late after its deadline a read may still show a run QUEUED (clock resolution and one request). */
    private static final Duration EXPIRY_SLACK = Duration.ofMillis(300);

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRunStillQueuedAtItsDeadlineExpiresAndTheThreadMovesOn() {
        String thread = Ids.thread("m");
        String busy = api.startRun(thread, Api.simulated(7000, 500)).path("runId").asText();
        // Executing (its agent writes progress), with more than 6 s of work left.
        Poll.until(Duration.ofSeconds(60), "run " + busy + " is RUNNING with progress", () -> api.events(busy), e -> !e.isEmpty());

        JsonNode expiring = api.startRun(thread, Api.echo("expires while queued").put("expiresInSeconds", 2));
        String expiringId = expiring.path("runId").asText();
        String next = api.startRun(thread, Api.echo("runs after the busy one")).path("runId").asText();
        Instant expiresAt = Api.time(expiring, "expiresAt");
        Duration deadline = Duration.between(Api.time(expiring, "createdAt"), expiresAt);
        assertFalse(deadline.compareTo(Duration.ofSeconds(2)) < 0 || deadline.compareTo(Duration.ofSeconds(3)) > 0,
                "expiresAt is 2 s after createdAt: " + expiring);
        assertEquals("QUEUED", expiring.path("status").asText(), expiring.toString());

        // Before its deadline it is QUEUED; the first read after it shows EXPIRED.
        record Read(Instant sent, Instant answered, JsonNode run) {}
        Read expired = Poll.until(Duration.ofSeconds(10), "run " + expiringId + " shows EXPIRED", () -> {
            Instant sent = Instant.now();
            JsonNode run = api.run(expiringId);
            return new Read(sent, Instant.now(), run);
        }, read -> {
            String status = read.run().path("status").asText();
            if ("EXPIRED".equals(status)) {
                if (read.answered().isBefore(expiresAt)) {
                    throw new AssertionFailedError("EXPIRED before its deadline " + expiresAt + ": " + read);
                }
                return true;
            }
            if (!"QUEUED".equals(status) || read.sent().isAfter(expiresAt.plus(EXPIRY_SLACK))) {
                throw new AssertionFailedError("a read sent after the deadline " + expiresAt + " shows " + read);
            }
            return false;
        });
        JsonNode busyMeanwhile = api.run(busy);
        assertEquals("RUNNING", busyMeanwhile.path("status").asText(), "the busy run is still running: " + busyMeanwhile);
        JsonNode run = expired.run();
        assertEquals("Expired", run.path("error").path("code").asText(), run.toString());
        assertTrue(run.path("executionArn").isNull(), run.toString());
        assertTrue(run.path("startedAt").isNull(), run.toString());
        assertTrue(run.path("finishedAt").isTextual(), run.toString());
        assertEquals("QUEUED", api.run(next).path("status").asText(), "the next run still waits behind the busy one");
        // The thread view counts it no more.
        JsonNode view = api.threadView(thread);
        assertEquals(busy, view.path("running").path("runId").asText(), view.toString());
        assertEquals(1, view.path("queued").asInt(), "only the next run waits: " + view);

        // The busy run ends; the next one starts right after it: the expired one holds nothing up.
        JsonNode busyDone = api.awaitTerminal(busy, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", busyDone.path("status").asText(), busyDone.toString());
        JsonNode nextDone = api.awaitTerminal(next, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", nextDone.path("status").asText(), nextDone.toString());
        Duration gap = Duration.between(Api.time(busyDone, "finishedAt"), Api.time(nextDone, "startedAt"));
        System.out.printf("[e2e] m: expired run seen EXPIRED %d ms after its deadline; next run started %d ms after the busy one ended%n",
                Duration.between(expiresAt, expired.answered()).toMillis(), gap.toMillis());
        assertFalse(gap.isNegative(), "the next run started before the busy one ended: " + busyDone + " / " + nextDone);
        assertTrue(gap.compareTo(Duration.ofSeconds(5)) < 0, "the next run started " + gap + " after the busy one ended (hold "
                + E2eStack.HOLD_SECONDS + " s)");

        // The expired run never executed, and stays EXPIRED.
        JsonNode neverRan = api.run(expiringId);
        assertEquals("EXPIRED", neverRan.path("status").asText(), neverRan.toString());
        assertEquals(0, neverRan.path("attempts").asInt(), neverRan.toString());
        assertTrue(neverRan.path("executionArn").isNull(), neverRan.toString());
        assertTrue(neverRan.path("startedAt").isNull(), neverRan.toString());
        assertEquals(List.of(), stack.executionsNamed(expiringId), "no execution named " + expiringId);
        assertEquals(List.of(), api.events(expiringId));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void deadlinesOutOfRangeAreRefused() {
        String thread = Ids.thread("m-range");
        for (int seconds : new int[] {0, -1, 1_209_601}) {
            Api.Response refused = api.start(thread, Api.echo("bad deadline").put("expiresInSeconds", seconds), null);
            assertEquals(400, refused.status(), "expiresInSeconds " + seconds + ": " + refused);
        }
        Api.Response notANumber = api.start(thread, Api.echo("bad deadline").put("expiresInSeconds", "soon"), null);
        assertEquals(400, notANumber.status(), notANumber.toString());
        Api.Response badPolicy = api.start(thread, Api.echo("bad policy").put("onBusy", "wait"), null);
        assertEquals(400, badPolicy.status(), badPolicy.toString());
        assertEquals(List.of(), api.threadRuns(thread), "nothing stored");
        // The edges are taken.
        JsonNode longest = api.startRun(thread, Api.echo("two weeks").put("expiresInSeconds", 1_209_600));
        Duration deadline = Duration.between(Api.time(longest, "createdAt"), Api.time(longest, "expiresAt"));
        assertFalse(deadline.compareTo(Duration.ofSeconds(1_209_600)) < 0 || deadline.compareTo(Duration.ofSeconds(1_209_601)) > 0,
                longest.toString());
        JsonNode done = api.awaitTerminal(longest.path("runId").asText(), Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", done.path("status").asText(), done.toString());
    }
}
