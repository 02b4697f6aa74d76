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
 * n. Pause and resume a thread. Paused while a run is RUNNING: that run goes on to SUCCEEDED, new runs
 * are still queued (202), and none starts: for a window after the running run ended the thread shows
 * paused, 2 queued, nothing running. After resume the next run starts within a few seconds (the gate's
 * held head is released, not left to its hold) and both queued runs run in order, never overlapping.
 */
class ScenarioN_PauseResumeIT extends Scenario {
    /** How long the paused thread is watched after its running run ended. */
    private static final Duration PAUSED_WINDOW = Duration.ofSeconds(5);
    /** How soon after resume the next run must have started. */
    private static final Duration RESUME_BOUND = Duration.ofSeconds(5);

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aPausedThreadFinishesItsRunningRunStartsNothingAndResumesPromptly() {
        String thread = Ids.thread("n");
        String first = api.startRun(thread, Api.simulated(5000, 500)).path("runId").asText();
        api.awaitStatus(first, "RUNNING", Duration.ofSeconds(60));

        Api.Response paused = api.pause(thread);
        assertEquals(200, paused.status(), paused.toString());
        assertEquals(thread, paused.body().path("threadId").asText(), paused.toString());
        assertTrue(paused.body().path("paused").asBoolean(false), paused.toString());
        assertTrue(paused.body().path("pausedAt").isTextual(), paused.toString());
        assertEquals(first, paused.body().path("running").path("runId").asText(), "the running run goes on: " + paused);

        Api.Response secondStart = api.start(thread, Api.simulated(1000, 200), null);
        Api.Response thirdStart = api.start(thread, Api.echo("third"), null);
        assertEquals(202, secondStart.status(), "a paused thread still queues: " + secondStart);
        assertEquals(202, thirdStart.status(), "a paused thread still queues: " + thirdStart);
        String second = secondStart.body().path("runId").asText();
        String third = thirdStart.body().path("runId").asText();
        assertEquals("QUEUED", secondStart.body().path("status").asText());
        assertEquals("QUEUED", thirdStart.body().path("status").asText());

        JsonNode whileRunning = api.threadView(thread);
        assertTrue(whileRunning.path("paused").asBoolean(false), whileRunning.toString());
        assertEquals(first, whileRunning.path("running").path("runId").asText(), whileRunning.toString());
        assertEquals(2, whileRunning.path("queued").asInt(), whileRunning.toString());

        // The running run is not affected by the pause.
        JsonNode firstDone = api.awaitTerminal(first, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", firstDone.path("status").asText(), firstDone.toString());
        assertEquals(1, firstDone.path("attempts").asInt(), firstDone.toString());

        // Observed, for a window: paused, 2 queued, nothing running; neither queued run has started.
        Observe.holdsFor(PAUSED_WINDOW, "thread " + thread + " paused with 2 runs queued and none running",
                () -> List.of(api.threadView(thread), api.run(second), api.run(third)),
                reads -> {
                    JsonNode view = reads.get(0);
                    return view.path("paused").asBoolean(false) && view.path("running").isNull() && view.path("queued").asInt() == 2
                            && reads.subList(1, 3).stream().allMatch(r -> "QUEUED".equals(r.path("status").asText())
                                    && r.path("startedAt").isNull() && r.path("executionArn").isNull());
                });
        assertEquals(List.of(), stack.executionsNamed(second), "no execution for the held run while paused");

        Instant resumeSent = Instant.now();
        Api.Response resumed = api.resume(thread);
        assertEquals(200, resumed.status(), resumed.toString());
        assertFalse(resumed.body().path("paused").asBoolean(true), resumed.toString());

        JsonNode secondRunning = Poll.until(RESUME_BOUND, "run " + second + " starts after resume", () -> api.run(second),
                r -> r.path("startedAt").isTextual());
        Duration startedAfter = Duration.between(resumeSent, Api.time(secondRunning, "startedAt"));
        System.out.printf("[e2e] n: the next run started %d ms after resume%n", startedAfter.toMillis());
        assertTrue(startedAfter.compareTo(RESUME_BOUND) < 0, "started " + startedAfter + " after resume: " + secondRunning);

        JsonNode secondDone = api.awaitTerminal(second, Duration.ofSeconds(60));
        JsonNode thirdDone = api.awaitTerminal(third, Duration.ofSeconds(60));
        List<JsonNode> runs = List.of(firstDone, secondDone, thirdDone);
        String timeline = RunTimeline.describe(runs);
        assertEquals("SUCCEEDED", secondDone.path("status").asText(), timeline);
        assertEquals("SUCCEEDED", thirdDone.path("status").asText(), timeline);
        // In order, never overlapping.
        assertFalse(Api.time(secondDone, "startedAt").isBefore(Api.time(firstDone, "finishedAt")), timeline);
        assertFalse(Api.time(thirdDone, "startedAt").isBefore(Api.time(secondDone, "finishedAt")), timeline);
        RunTimeline.assertNoOverlap(runs);
        JsonNode idle = api.threadView(thread);
        assertFalse(idle.path("paused").asBoolean(true), idle.toString());
        assertTrue(idle.path("running").isNull(), idle.toString());
        assertEquals(0, idle.path("queued").asInt(), idle.toString());
        assertEquals(third, idle.path("lastRun").path("runId").asText(), "the newest run: " + idle);
    }
}
