package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * q. Your own agent (issue 19, item 1): the example module's agent ({@code examples/hello-agent}, added to the
 * functions) runs a hosted run that names it; a start naming an agent no module brings is refused 400
 * {@code UnknownAgent} with the names there are, and nothing is stored.
 */
class ScenarioQ_OwnAgentIT extends Scenario {

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aModulesAgentRunsByItsNameAndAnUnknownOneIsRefusedAtTheStart() throws Exception {
        String thread = Ids.thread("q");
        String runId = api.startRun(thread, Api.hosted(Api.JSON.readTree("{\"agent\":\"hello\",\"name\":\"runlane\"}")))
                .path("runId").asText();
        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(Api.JSON.readTree("{\"greeting\":\"hello, runlane\",\"attempt\":1}"), run.path("output"), run.toString());
        assertEquals(List.of(Api.JSON.readTree("{\"composing\":\"a greeting for runlane\"}")),
                api.events(runId).stream().map(e -> e.path("data")).toList());

        Api.Response unknown = api.start(thread, Api.hosted(Api.JSON.readTree("{\"agent\":\"gpt\"}")), "unknown-agent");
        assertEquals(400, unknown.status(), unknown.toString());
        assertEquals("UnknownAgent", unknown.errorCode(), unknown.toString());
        assertTrue(unknown.body().path("error").path("message").asText().contains("echo, hello, simulated"), unknown.toString());
        assertEquals(1, api.threadRuns(thread).size(), "nothing stored for the refused start");
    }
}
