package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * p. Live events and rerun. A long poll on a queued run waits its waitSeconds and answers empty; while
 * the run executes, long polls from cursor to cursor see every event it wrote exactly once, in order
 * (the same list GET /runs/{id}/events pages through), and none answers empty early; once the run has
 * ended a long poll answers at once; waitSeconds over 20 is refused. Rerunning it makes a new run on the
 * same thread with the same input, linked by rerunOf, that succeeds; an echo run's rerun (with an
 * Idempotency-Key, repeated) has the original's output.
 */
class ScenarioP_LiveEventsAndRerunIT extends Scenario {
    private static final int WAIT_SECONDS = 10;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void longPollsSeeEveryEventOnceAndARerunRepeatsTheRun() throws Exception {
        String thread = Ids.thread("p");
        String blocker = api.startRun(thread, Api.simulated(4000, 500)).path("runId").asText();
        JsonNode body = Api.simulated(3000, 150);
        String watched = api.startRun(thread, body).path("runId").asText();

        // Queued behind the blocker: nothing to see, so the poll waits out its waitSeconds.
        long sent = System.nanoTime();
        Api.Response quiet = api.watch(watched, null, 2);
        double took = (System.nanoTime() - sent) / 1e9;
        assertEquals(200, quiet.status(), quiet.toString());
        assertEquals(0, quiet.body().path("events").size(), quiet.toString());
        assertFalse(quiet.body().path("ended").asBoolean(true), quiet.toString());
        assertEquals("QUEUED", quiet.body().path("status").asText(), quiet.toString());
        assertTrue(took >= 1.5 && took < 7, "waited " + took + " s for waitSeconds=2: " + quiet);

        Api.Response tooLong = api.watch(watched, null, 21);
        assertEquals(400, tooLong.status(), tooLong.toString());
        assertEquals("InvalidWait", tooLong.errorCode(), tooLong.toString());

        // Follow the run from cursor to cursor until it has ended.
        List<JsonNode> seen = new ArrayList<>();
        String cursor = quiet.body().path("cursor").isTextual() ? quiet.body().path("cursor").asText() : null;
        int polls = 0;
        JsonNode last;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            assertTrue(System.nanoTime() - deadline < 0, "run " + watched + " did not end within 90 s; seen " + seen.size() + " events");
            long pollSent = System.nanoTime();
            Api.Response poll = api.watch(watched, cursor, WAIT_SECONDS);
            double pollTook = (System.nanoTime() - pollSent) / 1e9;
            polls++;
            assertEquals(200, poll.status(), poll.toString());
            last = poll.body();
            last.path("events").forEach(seen::add);
            boolean ended = last.path("ended").asBoolean(false);
            if (last.path("events").isEmpty() && !ended) {
                assertTrue(pollTook >= WAIT_SECONDS - 1, "an empty answer before waitSeconds, run not ended, after " + pollTook + " s: " + last);
            }
            if (last.path("cursor").isTextual()) {
                cursor = last.path("cursor").asText();
            } else {
                assertTrue(seen.isEmpty(), "no cursor after events were seen: " + last);
            }
            if (ended) {
                break;
            }
        }
        assertEquals("SUCCEEDED", last.path("status").asText(), last.toString());
        List<JsonNode> written = api.events(watched);
        System.out.printf("[e2e] p: %d events seen in %d long polls; %d written%n", seen.size(), polls, written.size());
        assertTrue(written.size() >= 5, "the run wrote progress: " + written);
        assertEquals(written, seen, "every event the run wrote, once each, in order");
        for (JsonNode event : seen) {
            assertEquals("progress", event.path("type").asText(), event.toString());
        }

        // After the end: an answer at once, with nothing new.
        long endedSent = System.nanoTime();
        Api.Response after = api.watch(watched, cursor, 20);
        double endedTook = (System.nanoTime() - endedSent) / 1e9;
        assertEquals(200, after.status(), after.toString());
        assertEquals(0, after.body().path("events").size(), after.toString());
        assertTrue(after.body().path("ended").asBoolean(false), after.toString());
        assertTrue(endedTook < 5, "an ended run's poll waited " + endedTook + " s");
        assertEquals("SUCCEEDED", api.awaitTerminal(blocker, Duration.ofSeconds(30)).path("status").asText());

        // Rerun: a new run, same thread and input, linked to the original.
        JsonNode original = api.run(watched);
        Api.Response rerun = api.rerun(watched, null, null);
        assertEquals(202, rerun.status(), rerun.toString());
        String rerunId = rerun.body().path("runId").asText();
        assertFalse(rerunId.equals(watched), rerun.toString());
        assertEquals(watched, rerun.body().path("rerunOf").asText(), rerun.toString());
        assertEquals(thread, rerun.body().path("threadId").asText(), rerun.toString());
        assertEquals("hosted", rerun.body().path("target").asText(), rerun.toString());
        JsonNode rerunDone = api.awaitTerminal(rerunId, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", rerunDone.path("status").asText(), rerunDone.toString());
        assertEquals(original.path("input"), rerunDone.path("input"), "the original's input");
        assertEquals(Api.JSON.readTree(body.path("input").toString()), rerunDone.path("input"), "the input it was started with");
        assertEquals(watched, rerunDone.path("rerunOf").asText(), rerunDone.toString());
        assertTrue(original.path("rerunOf").isNull(), original.toString());
        assertFalse(api.events(rerunId).isEmpty(), "the rerun executed its agent");
        List<String> listed = api.threadRuns(thread).stream().map(r -> r.path("runId").asText()).toList();
        assertEquals(List.of(blocker, watched, rerunId), listed, "the rerun is queued on the original's thread");
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void anEchoRunsRerunHasItsOutput() {
        String thread = Ids.thread("p-echo");
        String echoed = api.startRun(thread, Api.echo("say it again")).path("runId").asText();
        JsonNode original = api.awaitTerminal(echoed, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", original.path("status").asText(), original.toString());

        Api.Response rerun = api.rerun(echoed, null, "p-again");
        assertEquals(202, rerun.status(), rerun.toString());
        String rerunId = rerun.body().path("runId").asText();
        Api.Response repeated = api.rerun(echoed, null, "p-again");
        assertEquals(200, repeated.status(), "the same key names the same rerun: " + repeated);
        assertEquals(rerunId, repeated.body().path("runId").asText(), repeated.toString());

        JsonNode again = api.awaitTerminal(rerunId, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", again.path("status").asText(), again.toString());
        assertEquals(echoed, again.path("rerunOf").asText(), again.toString());
        assertEquals(thread, again.path("threadId").asText(), again.toString());
        assertEquals(original.path("input"), again.path("input"));
        assertEquals(original.path("output"), again.path("output"), "an echo rerun's output is the original's");
        assertEquals(2, api.threadRuns(thread).size(), "one rerun stored for the repeated key");
    }
}
