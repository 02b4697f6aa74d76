package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** a. A hosted echo run succeeds with its input as its output. */
class ScenarioA_EchoRunIT extends Scenario {

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void hostedEchoRunSucceedsWithItsOutput() {
        String thread = Ids.thread("a");
        ObjectNode input = Api.JSON.createObjectNode().put("agent", "echo").put("message", "hello, runlane").put("n", 42);
        input.putArray("list").add(1).add("two");
        JsonNode started = api.startRun(thread, Api.hosted(input));
        String runId = started.path("runId").asText();
        assertEquals(thread, started.path("threadId").asText());
        assertEquals("hosted", started.path("target").asText());

        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(75));

        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(input, run.path("output"), "echo's output is its input");
        assertEquals(input, run.path("input"));
        assertEquals(1, run.path("attempts").asInt(), run.toString());
        assertTrue(run.path("error").isNull(), run.toString());
        assertNotNull(Api.time(run, "startedAt"));
        assertTrue(!Api.time(run, "finishedAt").isBefore(Api.time(run, "startedAt")), run.toString());
        List<JsonNode> listed = api.threadRuns(thread);
        assertEquals(1, listed.size(), listed.toString());
        assertEquals(runId, listed.get(0).path("runId").asText());
        // One execution, named after the run.
        assertEquals(1, stack.executionsNamed(runId).size());
    }
}
