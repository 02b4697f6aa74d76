package dev.runlane.localcloud.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.Repo;
import dev.runlane.localcloud.template.Stack;
import dev.runlane.localcloud.template.TemplateLoader;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

class EventPatternTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:runlane-RunStateMachine";

    /** The reaper's rule, exactly as template.yaml declares it. */
    private final JsonNode reaperPattern = TemplateLoader.load(Repo.template(), Map.of(), URI.create("http://127.0.0.1:4566"))
            .rules().stream().filter(r -> r.functionName().equals("runlane-ReaperFunction")).findFirst().orElseThrow().pattern();

    @Test
    void theReaperRuleMatchesFailedTimedOutAndAbortedExecutionsOfTheRunStateMachine() {
        for (ExecutionStatus status : ExecutionStatus.knownValues()) {
            boolean expected = status == ExecutionStatus.FAILED || status == ExecutionStatus.TIMED_OUT || status == ExecutionStatus.ABORTED;
            assertEquals(expected, EventPattern.matches(reaperPattern, event(MACHINE, status)), status.toString());
        }
        assertFalse(EventPattern.matches(reaperPattern, event(MACHINE + "-other", ExecutionStatus.FAILED)));
    }

    @Test
    void eventHasEventBridgeShape() {
        JsonNode event = event(MACHINE, ExecutionStatus.ABORTED);
        assertEquals("Step Functions Execution Status Change", event.get("detail-type").asText());
        assertEquals("aws.states", event.get("source").asText());
        assertEquals(MACHINE + ":exec", event.at("/resources/0").asText());
        assertEquals("exec", event.at("/detail/name").asText());
        assertEquals(1000L, event.at("/detail/startDate").asLong());
        assertEquals("{\"runId\":\"r1\"}", event.at("/detail/input").asText());
    }

    @Test
    void contentFilters() throws Exception {
        JsonNode event = JSON.readTree("{\"source\":\"a.b\",\"detail\":{\"n\":5,\"tags\":[\"x\",\"y\"],\"s\":\"run-1\"}}");
        assertTrue(EventPattern.matches(JSON.readTree("{\"detail\":{\"tags\":[\"y\"]}}"), event));
        assertTrue(EventPattern.matches(JSON.readTree("{\"detail\":{\"s\":[{\"prefix\":\"run-\"}]}}"), event));
        assertTrue(EventPattern.matches(JSON.readTree("{\"detail\":{\"n\":[{\"numeric\":[\">\",1,\"<=\",5]}]}}"), event));
        assertTrue(EventPattern.matches(JSON.readTree("{\"detail\":{\"missing\":[{\"exists\":false}]}}"), event));
        assertTrue(EventPattern.matches(JSON.readTree("{\"source\":[{\"anything-but\":[\"aws.states\"]}]}"), event));
        assertFalse(EventPattern.matches(JSON.readTree("{\"detail\":{\"s\":[\"run-2\"]}}"), event));
        assertFalse(EventPattern.matches(JSON.readTree("{\"detail\":{\"missing\":[\"x\"]}}"), event));
        assertFalse(EventPattern.matches(JSON.readTree("{\"source\":{\"nested\":[\"x\"]}}"), event));
    }

    private static JsonNode event(String machine, ExecutionStatus status) {
        return ExecutionStatusRule.event(DescribeExecutionResponse.builder()
                .executionArn(machine + ":exec").stateMachineArn(machine).name("exec").status(status)
                .startDate(Instant.ofEpochMilli(1000)).input("{\"runId\":\"r1\"}").build(), Instant.now());
    }
}
