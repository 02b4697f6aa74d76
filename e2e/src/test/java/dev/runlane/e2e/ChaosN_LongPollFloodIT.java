package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chaos n (issue 18, item 4). One caller floods the API with 150 long polls at once
 * ({@code GET /runs/{runId}/events?waitSeconds=20} of a run that has no events). It holds at most
 * {@link E2eStack#LONG_POLLS_PER_CALLER} of them; every other is refused at once, 429 {@code TooManyLongPolls} with
 * Retry-After, never a 5xx. Meanwhile starts and reads answer 2xx, and the started runs go through the gate,
 * dispatch and finalize to SUCCEEDED.
 */
class ChaosN_LongPollFloodIT extends Scenario {
    private static final int FLOOD = 150;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aFloodOfLongPollsIsRefusedAtOnceWhileStartsReadsAndTheGateGoOn() throws Exception {
        // A run that never has events: its thread is paused, so it stays QUEUED and a poll of it waits its whole wait.
        String quietThread = Ids.thread("cn-quiet");
        assertEquals(200, api.pause(quietThread).status());
        String quiet = api.startRun(quietThread, Api.echo("never runs")).path("runId").asText();

        CompletableFuture<List<Api.Response>> flood = CompletableFuture.supplyAsync(() -> {
            try {
                return Concurrently.call(FLOOD, i -> api.watch(quiet, null, 20));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        // Meanwhile: starts and reads answer, and their runs move through the gate to the end.
        List<String> started = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            long sent = System.nanoTime();
            Api.Response start = api.start(Ids.thread("cn"), Api.echo("during the flood " + i), null);
            assertEquals(202, start.status(), start.toString());
            started.add(start.body().path("runId").asText());
            for (String read : List.of("/threads?limit=5", "/runs/" + quiet, "/threads/" + quietThread)) {
                Api.Response answer = api.get(read);
                assertEquals(200, answer.status(), read + ": " + answer);
            }
            System.out.printf("[e2e] n: a start and three reads during the flood answered in %d ms%n",
                    (System.nanoTime() - sent) / 1_000_000);
        }
        for (String runId : started) {
            JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(90));
            assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        }

        List<Api.Response> polls = flood.get(120, TimeUnit.SECONDS);
        Map<String, Integer> answers = new TreeMap<>();
        for (Api.Response poll : polls) {
            answers.merge(poll.status() + (poll.errorCode() == null ? "" : " " + poll.errorCode()), 1, Integer::sum);
            if (poll.status() != 200) {
                assertEquals(429, poll.status(), "a refused long poll is 429, never a 5xx: " + poll);
                assertEquals("TooManyLongPolls", poll.errorCode(), poll.toString());
                assertEquals("2", poll.retryAfter(), poll.toString());
            }
        }
        System.out.println("[e2e] n: the flood's " + FLOOD + " long polls were answered " + answers);
        int held = answers.getOrDefault("200", 0);
        assertTrue(held >= 1, "the caller's own slots serve its polls: " + answers);
        assertTrue(held <= FLOOD / 10, "the cap held the flood back: " + answers);

        assertEquals(200, api.cancel(quiet).status());
        assertEquals(200, api.resume(quietThread).status());
    }
}
