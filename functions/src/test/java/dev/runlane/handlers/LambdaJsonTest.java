package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.testing.Fixtures;
import dev.runlane.testing.LambdaMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The standard event types through the JSON of the Quarkus Lambda runtime ({@link LambdaMapper}): the raw
 * fixtures read as the runtime reads an invocation's payload, and results written as before the standard
 * types (payload 2.0 results without null multiValueHeaders/cookies).
 */
class LambdaJsonTest {
    private static final ObjectMapper MAPPER = LambdaMapper.MAPPER;

    @Test
    void anInvocationPayloadReadsAsItsStandardType() throws Exception {
        SQSEvent batch = read("sqs-thread-batch", SQSEvent.class);
        assertEquals(5, batch.getRecords().size(), "Records");
        SQSEvent.SQSMessage first = batch.getRecords().get(0);
        assertEquals(Fixtures.THREAD_ID, first.getAttributes().get("MessageGroupId"));
        assertEquals(Fixtures.RUN_ID, first.getAttributes().get("MessageDeduplicationId"));
        assertEquals("arn:aws:sqs:us-east-1:123456789012:runlane-RunQueue.fifo", first.getEventSourceArn(), "eventSourceARN");
        assertFalse(first.getReceiptHandle().isEmpty());

        APIGatewayV2HTTPEvent start = read("api-start-run", APIGatewayV2HTTPEvent.class);
        assertEquals("POST /threads/{threadId}/runs", start.getRouteKey());
        assertEquals("POST", start.getRequestContext().getHttp().getMethod());
        assertEquals(Fixtures.THREAD_ID, Http.pathParameter(start, "threadId"));
        assertEquals("application/json", Http.header(start, "content-type"));
        assertFalse(start.getIsBase64Encoded());
        assertEquals(Fixtures.json("api-start-run").at("/requestContext/requestId").asText(), Http.requestId(start));
        APIGatewayV2HTTPEvent list = read("api-list-thread-runs", APIGatewayV2HTTPEvent.class);
        assertEquals("2", Http.query(list, "limit"));
        assertEquals("limit=2", list.getRawQueryString());

        APIGatewayV2HTTPEvent base64 = MAPPER.readValue("{\"isBase64Encoded\":true,\"body\":\"e30=\"}", APIGatewayV2HTTPEvent.class);
        assertEquals(true, base64.getIsBase64Encoded());

        ScheduledEvent aborted = read("execution-aborted", ScheduledEvent.class);
        assertEquals("ABORTED", aborted.getDetail().get("status"));
        assertEquals(Fixtures.RUN_ID, aborted.getDetail().get("name"));
        assertEquals("aws.states", aborted.getSource());
    }

    @Test
    void httpResultsAreWrittenAsPayloadFormat2() throws Exception {
        String body = "{\"runId\":\"r\"}";
        JsonNode written = MAPPER.readTree(MAPPER.writeValueAsString(
                Http.json(202, MAPPER.readTree(body), Map.of("location", "/runs/r"))));
        assertEquals(MAPPER.readTree("{\"statusCode\":202,\"headers\":{\"content-type\":\"application/json\","
                + "\"location\":\"/runs/r\"},\"body\":" + MAPPER.writeValueAsString(body) + ",\"isBase64Encoded\":false}"), written);
        assertEquals(List.of("statusCode", "headers", "body", "isBase64Encoded"), names(written));

        assertEquals("{\"statusCode\":204,\"headers\":{},\"body\":null,\"isBase64Encoded\":false}",
                MAPPER.writeValueAsString(Http.noContent()));
    }

    @Test
    void theGatesResultIsAPartialBatchResponse() throws Exception {
        assertEquals("{\"batchItemFailures\":[{\"itemIdentifier\":\"m1\"},{\"itemIdentifier\":\"m2\"}]}",
                MAPPER.writeValueAsString(new SQSBatchResponse(List.of(
                        new SQSBatchResponse.BatchItemFailure("m1"), new SQSBatchResponse.BatchItemFailure("m2")))));
        assertEquals("{\"batchItemFailures\":[]}", MAPPER.writeValueAsString(new SQSBatchResponse(List.of())));
    }

    private static <T> T read(String fixture, Class<T> type) throws Exception {
        // as io.quarkus.amazon.lambda.runtime.JacksonInputReader reads the invocation's body
        return MAPPER.readerFor(type).readValue(new ByteArrayInputStream(Fixtures.string(fixture).getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
