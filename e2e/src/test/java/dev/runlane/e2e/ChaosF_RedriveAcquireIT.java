package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chaos f. An attempt of a run that has ended, as a redriven execution (or a duplicate invocation)
 * would make, is refused at acquire: it takes no token, writes nothing, and the thread's current run
 * keeps the fence.
 */
class ChaosF_RedriveAcquireIT extends ChaosScenario {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anAttemptOfAnEndedRunIsRefused() {
        String function = stack.functionName(HOSTED).orElse(null);
        Assumptions.assumeTrue(function != null, "invokes the hosted dispatch function directly: local cloud only");
        String thread = Ids.thread("cf");
        String ended = api.startRun(thread, Api.echo("ends first")).path("runId").asText();
        JsonNode endedRun = api.awaitTerminal(ended, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", endedRun.path("status").asText(), endedRun.toString());
        String current = api.startRun(thread, Api.simulated(8000, 250)).path("runId").asText();
        JsonNode running = Poll.until(Duration.ofSeconds(60), "run " + current + " took its token",
                () -> api.run(current), r -> r.path("fenceToken").isNumber());

        Api lambda = new Api(stack.awsEndpoint());
        for (int retryCount : new int[] {0, 1, 7}) {
            String task = Api.JSON.createObjectNode().put("runId", ended).put("threadId", thread)
                    .put("retryCount", retryCount).toString();
            Api.Response invoked = lambda.send(lambda.request("/2015-03-31/functions/" + function + "/invocations")
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(task)));
            assertEquals(200, invoked.status(), invoked.toString());
            assertEquals("dev.runlane.domain.StaleAttemptException", invoked.body().path("errorType").asText(),
                    "attempt " + (retryCount + 1) + " of the ended run: " + invoked);
        }

        JsonNode after = api.run(ended);
        assertEquals(endedRun.path("fenceToken"), after.path("fenceToken"), after.toString());
        assertEquals(endedRun.path("attempts"), after.path("attempts"), after.toString());
        assertEquals("SUCCEEDED", after.path("status").asText(), after.toString());
        JsonNode finished = api.awaitTerminal(current, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", finished.path("status").asText(), "the current run was not fenced out: " + finished);
        assertEquals(0, finished.path("staleWrites").asInt(), finished.toString());
        assertEquals(running.path("fenceToken"), finished.path("fenceToken"), "it kept its token: " + finished);
    }
}
