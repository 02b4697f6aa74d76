package dev.runlane.testing;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runlane.handlers.DispatchTask;
import dev.runlane.handlers.FinalizeTask;
import dev.runlane.runs.RunIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The events/ fixtures are valid JSON, realistic, and bind to the handlers' input types. */
class FixturesTest {

    static final Set<String> SQS_ATTRIBUTES = Set.of("ApproximateReceiveCount", "SentTimestamp", "SequenceNumber",
            "MessageGroupId", "MessageDeduplicationId", "SenderId", "ApproximateFirstReceiveTimestamp");

    static List<String> names() {
        return Fixtures.names();
    }

    @Test
    void theFixturesAreThere() {
        assertTrue(names().containsAll(List.of("api-start-run", "api-start-desktop-run", "api-get-run",
                "api-list-thread-runs", "api-cancel-run", "api-list-run-events", "sqs-thread-batch",
                "hosted-dispatch", "desktop-dispatch", "finalize-success", "finalize-failure",
                "execution-aborted")), names().toString());
    }

    @ParameterizedTest
    @MethodSource("names")
    void everyFixtureIsJsonAndItsRunIdsAreValid(String name) {
        JsonNode event = Fixtures.json(name);
        assertTrue(event.isObject(), name);
        event.findValuesAsText("runId").forEach(id -> assertTrue(RunIds.isValid(id), name + ": bad runId " + id));
        event.findValuesAsText("threadId").forEach(id -> assertTrue(RunIds.isValid(id), name + ": bad threadId " + id));
    }

    @ParameterizedTest
    @MethodSource("names")
    void apiRequestsArePayloadFormat2(String name) {
        if (!name.startsWith("api-")) return;
        JsonNode event = Fixtures.json(name);
        APIGatewayV2HTTPEvent request = Fixtures.event(name).as(APIGatewayV2HTTPEvent.class);
        assertEquals("2.0", event.path("version").asText(), name);
        JsonNode context = event.path("requestContext");
        assertEquals(request.getRouteKey(), context.path("routeKey").asText(), name);
        assertEquals("$default", context.path("stage").asText(), name);
        assertEquals(event.path("rawPath").asText(), context.path("http").path("path").asText(), name);
        assertEquals(request.getRouteKey().split(" ")[0], context.path("http").path("method").asText(), name);
        // the route's {params} filled from pathParameters give the raw path
        String path = request.getRouteKey().split(" ")[1];
        // API Gateway leaves pathParameters out of a route without any
        for (var p : (request.getPathParameters() == null ? java.util.Map.<String, String>of() : request.getPathParameters()).entrySet()) {
            path = path.replace("{" + p.getKey() + "}", p.getValue());
        }
        assertEquals(event.path("rawPath").asText(), path, name);
        assertFalse(request.getIsBase64Encoded(), name);
        for (String field : List.of("accountId", "apiId", "domainName", "requestId", "time", "timeEpoch")) {
            assertTrue(context.has(field), name + " requestContext." + field);
        }
        if (request.getBody() != null) {
            assertEquals("application/json", request.getHeaders().get("content-type"), name);
            JsonNode body = Fixtures.JSON.valueToTree(parse(request.getBody()));
            if (request.getRouteKey().equals("POST /threads/{threadId}/runs")) {
                assertTrue(body.has("target"), name + " body " + body);
            }
        }
    }

    @Test
    void startRunCarriesAnIdempotencyKeyAndAHostedTarget() {
        APIGatewayV2HTTPEvent request = Fixtures.event("api-start-run").as(APIGatewayV2HTTPEvent.class);
        assertEquals("POST /threads/{threadId}/runs", request.getRouteKey());
        assertEquals(Fixtures.THREAD_ID, request.getPathParameters().get("threadId"));
        assertNotNull(request.getHeaders().get("idempotency-key"));
        assertEquals("{\"target\":\"hosted\",\"input\":{\"agent\":\"echo\",\"message\":\"hello\"}}", request.getBody());
        JsonNode desktop = parse(Fixtures.event("api-start-desktop-run").as(APIGatewayV2HTTPEvent.class).getBody());
        assertEquals("desktop", desktop.path("target").asText());
        assertEquals(Fixtures.DAEMON_ID, desktop.path("daemonId").asText());
        assertEquals("2", Fixtures.event("api-list-thread-runs").as(APIGatewayV2HTTPEvent.class).getQueryStringParameters().get("limit"));
    }

    @Test
    void theSqsBatchIsAFifoBatchOverTwoThreadsPlusOneMalformedMessage() {
        JsonNode batch = Fixtures.json("sqs-thread-batch");
        SQSEvent event = Fixtures.event("sqs-thread-batch").as(SQSEvent.class);
        assertEquals(5, event.getRecords().size());
        Map<String, List<String>> runsByGroup = new HashMap<>();
        BigInteger previous = BigInteger.ZERO;
        for (JsonNode record : batch.path("Records")) {
            JsonNode attributes = record.path("attributes");
            for (String attribute : SQS_ATTRIBUTES) {
                assertTrue(attributes.path(attribute).isTextual(), attribute + " in " + record.path("messageId"));
            }
            BigInteger sequence = new BigInteger(attributes.path("SequenceNumber").asText());
            assertTrue(sequence.compareTo(previous) > 0, "SequenceNumber must increase: " + sequence);
            previous = sequence;
            assertEquals("aws:sqs", record.path("eventSource").asText());
            assertEquals("arn:aws:sqs:us-east-1:123456789012:runlane-RunQueue.fifo", record.path("eventSourceARN").asText());
            assertEquals(Fixtures.md5Hex(record.path("body").asText()), record.path("md5OfBody").asText());
            assertFalse(record.path("receiptHandle").asText().isEmpty());

            String group = attributes.path("MessageGroupId").asText();
            if (group.equals(Fixtures.MALFORMED_GROUP)) {
                assertThrows(Exception.class, () -> Fixtures.JSON.readTree(record.path("body").asText()));
                continue;
            }
            JsonNode body = parse(record.path("body").asText());
            assertEquals(group, body.path("threadId").asText(), "MessageGroupId is the thread");
            assertEquals(body.path("runId").asText(), attributes.path("MessageDeduplicationId").asText(),
                    "MessageDeduplicationId is the run");
            runsByGroup.computeIfAbsent(group, g -> new ArrayList<>()).add(body.path("runId").asText());
        }
        assertEquals(Map.of(
                Fixtures.THREAD_ID, List.of(Fixtures.RUN_ID, Fixtures.THREAD_A_SECOND_RUN),
                Fixtures.THREAD_B, List.of(Fixtures.THREAD_B_FIRST_RUN, Fixtures.THREAD_B_SECOND_RUN)), runsByGroup);
    }

    @Test
    void stateMachineTaskInputsBindToTheHandlers() {
        DispatchTask hosted = Fixtures.event("hosted-dispatch").as(DispatchTask.class);
        assertEquals(1, hosted.attempt(), "attempt = $$.State.RetryCount + 1");
        DispatchTask desktop = Fixtures.event("desktop-dispatch").as(DispatchTask.class);
        assertNotNull(desktop.taskToken());
        assertEquals(Fixtures.DAEMON_ID, desktop.daemonId());
        assertNull(Fixtures.event("finalize-success").as(FinalizeTask.class).error());
        assertEquals("States.Timeout", Fixtures.event("finalize-failure").as(FinalizeTask.class).error().error());
    }

    @Test
    void theAbortedExecutionIsNamedAfterItsRun() {
        JsonNode event = Fixtures.json("execution-aborted");
        assertEquals("aws.states", event.path("source").asText());
        assertEquals("Step Functions Execution Status Change", event.path("detail-type").asText());
        Map<String, Object> detail = Fixtures.event("execution-aborted").as(ScheduledEvent.class).getDetail();
        String executionArn = (String) detail.get("executionArn");
        assertEquals("ABORTED", detail.get("status"));
        assertEquals(Fixtures.RUN_ID, detail.get("name"));
        assertTrue(executionArn.endsWith(":" + Fixtures.RUN_ID));
        assertEquals(executionArn, event.path("resources").path(0).asText());
        assertEquals(Fixtures.RUN_ID, parse(event.path("detail").path("input").asText()).path("runId").asText());
    }

    @Test
    void replacingIdsRewritesThemEverywhereAndKeepsDerivedFieldsTrue() {
        String runId = Fixtures.uniqueId("run");
        String threadId = Fixtures.uniqueId("thread");
        assertTrue(RunIds.isValid(runId) && RunIds.isValid(threadId));

        JsonNode aborted = Fixtures.event("execution-aborted").withRunId(runId).withThreadId(threadId).json();
        assertEquals(runId, aborted.path("detail").path("name").asText());
        assertTrue(aborted.path("detail").path("executionArn").asText().endsWith(":" + runId));
        assertEquals(threadId, parse(aborted.path("detail").path("input").asText()).path("threadId").asText());

        JsonNode batch = Fixtures.event("sqs-thread-batch").withRunId(runId).json();
        JsonNode first = batch.path("Records").path(0);
        assertEquals(runId, first.path("attributes").path("MessageDeduplicationId").asText());
        assertEquals(Fixtures.md5Hex(first.path("body").asText()), first.path("md5OfBody").asText());

        JsonNode start = Fixtures.event("api-start-run").withThreadId(threadId).json();
        assertEquals("/threads/" + threadId + "/runs", start.path("rawPath").asText());
        assertEquals(String.valueOf(start.path("body").asText().length()), start.path("headers").path("content-length").asText());

        // a whole id only: "thread-a" is not replaced inside a longer id
        assertThrows(IllegalArgumentException.class, () -> Fixtures.event("hosted-dispatch").replace("thread", "x"));
    }

    private static JsonNode parse(String json) {
        try {
            return Fixtures.JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
