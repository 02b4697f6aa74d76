package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import com.amazonaws.services.lambda.runtime.tests.annotations.Event;
import com.amazonaws.services.lambda.runtime.tests.annotations.Events;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.desktop.DaemonService;
import dev.runlane.domain.QueueMessage;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Target;
import dev.runlane.gate.Gate;
import dev.runlane.runs.Finalizer;
import dev.runlane.runs.RunService;
import dev.runlane.testing.Fixtures;
import dev.runlane.testing.InMemoryPorts;
import dev.runlane.testing.LambdaMapper;
import dev.runlane.testing.TestContext;
import org.junit.jupiter.params.ParameterizedTest;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each handler driven with its events/ fixture as the standard aws-lambda-java-events type, loaded by
 * aws-lambda-java-tests (AWS's own event serialization, as the Java managed runtime reads events); and
 * the same fixture as the Quarkus Lambda runtime reads it ({@link LambdaMapper}) gives the handler the
 * same fields.
 */
class StandardEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int HOLD = 300;

    private final InMemoryPorts ports = new InMemoryPorts();
    private final Finalizer finalizer = new Finalizer(ports.runs, ports.fence, ports.queue, Clock.systemUTC());

    @ParameterizedTest
    @Event(value = "../events/sqs-thread-batch.json", type = SQSEvent.class)
    void theGateAdmitsTheFixtureBatch(SQSEvent event) {
        for (String runId : List.of(Fixtures.RUN_ID, Fixtures.THREAD_A_SECOND_RUN)) {
            queued(runId, Fixtures.THREAD_ID);
        }
        for (String runId : List.of(Fixtures.THREAD_B_FIRST_RUN, Fixtures.THREAD_B_SECOND_RUN)) {
            queued(runId, Fixtures.THREAD_B);
        }
        GateHandler gate = new GateHandler();
        gate.gate = new Gate(ports.runs, ports.threads, ports.queue, ports.workflow, finalizer,
                new dev.runlane.runs.Cancellation(finalizer, ports.workflow, ports.frames, Clock.systemUTC()), HOLD, Clock.systemUTC());

        SQSBatchResponse response = gate.handleRequest(event, context());

        List<String> ids = event.getRecords().stream().map(SQSEvent.SQSMessage::getMessageId).toList();
        assertEquals(ids.subList(0, 4), response.getBatchItemFailures().stream()
                .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).toList());
        assertEquals(List.of(Fixtures.RUN_ID, Fixtures.THREAD_B_FIRST_RUN), ports.workflow.started);
        assertEquals(event.getRecords().get(0).getReceiptHandle(), ports.runs.items.get(Fixtures.RUN_ID).receiptHandle());
        QueueMessage malformed = ports.queue.deadLetters.get(0);
        assertEquals(ids.get(4), malformed.messageId());
        assertEquals(Fixtures.MALFORMED_GROUP, malformed.groupId(), "the record's MessageGroupId attribute");
        assertEquals(event.getRecords().get(4).getBody(), malformed.body());
        assertSameRecords(event, Fixtures.event("sqs-thread-batch").as(SQSEvent.class));
    }

    @ParameterizedTest
    @Event(value = "../events/api-start-run.json", type = APIGatewayV2HTTPEvent.class)
    void theRunApiStartsTheFixtureRun(APIGatewayV2HTTPEvent request) throws Exception {
        APIGatewayV2HTTPResponse response = runApi().handleRequest(request, context());

        assertEquals(202, response.getStatusCode(), response.getBody());
        Run run = ports.runs.items.values().iterator().next();
        assertEquals(Fixtures.THREAD_ID, run.threadId(), "from pathParameters");
        assertEquals("/runs/" + run.runId(), response.getHeaders().get("location"));
        assertEquals(JSON.readTree(request.getBody()).get("input"), JSON.readTree(ports.runs.inputs.get(run.runId())));
        assertEquals(200, runApi().handleRequest(request, context()).getStatusCode(), "the idempotency-key header was read");
        assertSameRequest(request, Fixtures.event("api-start-run").as(APIGatewayV2HTTPEvent.class));
    }

    /** Every run API fixture reaches its route with its parameters: only the run it names is missing. */
    @ParameterizedTest
    @Events(type = APIGatewayV2HTTPEvent.class, events = {
            @Event("../events/api-get-run.json"), @Event("../events/api-cancel-run.json"), @Event("../events/api-list-run-events.json"),
            @Event("../events/api-list-thread-runs.json"), @Event("../events/api-start-desktop-run.json")})
    void theRunApiRoutesEachFixture(APIGatewayV2HTTPEvent request) throws Exception {
        ports.daemons.hashes.put(Fixtures.DAEMON_ID, "hash");

        APIGatewayV2HTTPResponse response = runApi().handleRequest(request, context());

        int expected = switch (request.getRouteKey()) {
            case "POST /threads/{threadId}/runs" -> 202;
            case "GET /threads/{threadId}/runs" -> 200;
            default -> 404;
        };
        assertEquals(expected, response.getStatusCode(), response.getBody());
        if (expected == 404) {
            assertEquals("RunNotFound", JSON.readTree(response.getBody()).at("/error/code").asText());
        }
        String name = request.getRouteKey().startsWith("POST /threads") ? "api-start-desktop-run"
                : Fixtures.names().stream().filter(n -> n.startsWith("api-") && Fixtures.event(n)
                        .as(APIGatewayV2HTTPEvent.class).getRouteKey().equals(request.getRouteKey())).findFirst().orElseThrow();
        assertSameRequest(request, Fixtures.event(name).as(APIGatewayV2HTTPEvent.class));
    }

    @ParameterizedTest
    @Event(value = "../events/api-register-daemon.json", type = APIGatewayV2HTTPEvent.class)
    void theDaemonApiRegistersTheFixtureDaemon(APIGatewayV2HTTPEvent request) throws Exception {
        APIGatewayV2HTTPResponse response = daemonApi().handleRequest(request, context());

        assertEquals(201, response.getStatusCode(), response.getBody());
        assertEquals(Fixtures.DAEMON_ID, JSON.readTree(response.getBody()).get("daemonId").asText());
        assertTrue(ports.daemons.hashes.containsKey(Fixtures.DAEMON_ID));
        assertSameRequest(request, Fixtures.event("api-register-daemon").as(APIGatewayV2HTTPEvent.class));
    }

    @ParameterizedTest
    @Event(value = "../events/daemon-fetch-frames.json", type = APIGatewayV2HTTPEvent.class)
    void theDaemonApiServesTheFixtureFramePoll(APIGatewayV2HTTPEvent request) throws Exception {
        assertSameRequest(request, Fixtures.event("daemon-fetch-frames").as(APIGatewayV2HTTPEvent.class));
        DaemonApiHandler api = daemonApi();
        assertEquals(401, api.handleRequest(request, context()).getStatusCode(), "the placeholder credential is no daemon's");
        String credential = JSON.readTree(api.handleRequest(Fixtures.event("api-register-daemon")
                .as(APIGatewayV2HTTPEvent.class), context()).getBody()).get("credential").asText();
        Map<String, String> headers = new HashMap<>(request.getHeaders());
        headers.put("authorization", "Bearer " + credential);
        request.setHeaders(headers);
        request.setQueryStringParameters(Map.of("waitSeconds", "0"));

        APIGatewayV2HTTPResponse response = api.handleRequest(request, context());

        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(0, JSON.readTree(response.getBody()).get("frames").size());
    }

    @ParameterizedTest
    @Event(value = "../events/daemon-report-progress.json", type = APIGatewayV2HTTPEvent.class)
    void theDaemonApiReadsTheFixtureReport(APIGatewayV2HTTPEvent request) throws Exception {
        APIGatewayV2HTTPResponse response = daemonApi().handleRequest(request, context());

        assertEquals(401, response.getStatusCode(), "routed, body read, bearer credential checked: " + response.getBody());
        assertEquals("Bearer", response.getHeaders().get("www-authenticate"));
        assertSameRequest(request, Fixtures.event("daemon-report-progress").as(APIGatewayV2HTTPEvent.class));
    }

    @ParameterizedTest
    @Event(value = "../events/execution-aborted.json", type = ScheduledEvent.class)
    void theReaperEndsTheFixtureExecutionsRun(ScheduledEvent event) {
        ports.runs.put(new Run(Fixtures.RUN_ID, Fixtures.THREAD_ID, Target.HOSTED, null, RunStatus.RUNNING, 1, null, null,
                null, Instant.now(), Instant.now(), null, "seq", null, "hash", 0, null, null));
        ReaperHandler reaper = new ReaperHandler();
        reaper.finalizer = finalizer;

        Map<String, Object> reaped = reaper.handleRequest(event, context());

        assertEquals(Map.of("runId", Fixtures.RUN_ID, "ended", true), reaped);
        assertEquals(RunStatus.CANCELLED, ports.runs.items.get(Fixtures.RUN_ID).status());
        assertEquals("ExecutionAborted", ports.runs.items.get(Fixtures.RUN_ID).error().code());
        ScheduledEvent quarkus = Fixtures.event("execution-aborted").as(ScheduledEvent.class);
        assertEquals(event.getDetail(), quarkus.getDetail());
        assertEquals(event.getTime().getMillis(), quarkus.getTime().getMillis());
        assertEquals(event.getResources(), quarkus.getResources());
    }

    // ------------------------------------------------------------------ helpers

    private ApiHandler runApi() {
        ApiHandler api = new ApiHandler();
        api.runs = new RunService(ports.runs, ports.threads, ports.queue,
                new dev.runlane.runs.Cancellation(finalizer, ports.workflow, ports.frames, Clock.systemUTC()), 1000, Clock.systemUTC());
        return api;
    }

    private DaemonApiHandler daemonApi() {
        DaemonApiHandler api = new DaemonApiHandler();
        api.daemons = new DaemonService(ports.daemons, ports.frames, ports.runs, ports.fence, ports.workflow, Clock.systemUTC());
        return api;
    }

    private void queued(String runId, String threadId) {
        ports.runs.put(new Run(runId, threadId, Target.HOSTED, null, RunStatus.QUEUED, 0, null, null,
                null, Instant.now(), null, null, "seq-" + runId, null, "hash", 0, null, null));
    }

    /** The fields the HTTP handlers read, as AWS's serialization and as Quarkus' read them. */
    private static void assertSameRequest(APIGatewayV2HTTPEvent aws, APIGatewayV2HTTPEvent quarkus) {
        assertEquals(aws.getRouteKey(), quarkus.getRouteKey());
        assertEquals(aws.getHeaders(), quarkus.getHeaders());
        assertEquals(aws.getPathParameters(), quarkus.getPathParameters());
        assertEquals(aws.getQueryStringParameters(), quarkus.getQueryStringParameters());
        assertEquals(aws.getBody(), quarkus.getBody());
        assertEquals(aws.getIsBase64Encoded(), quarkus.getIsBase64Encoded());
        assertEquals(aws.getRequestContext().getRequestId(), quarkus.getRequestContext().getRequestId());
        assertNotEquals(null, quarkus.getRequestContext().getRequestId());
        assertEquals(aws.getRequestContext().getHttp().getMethod(), quarkus.getRequestContext().getHttp().getMethod());
        assertEquals(aws.getRawQueryString(), quarkus.getRawQueryString());
    }

    /** The fields the gate reads, as AWS's serialization and as Quarkus' read them. */
    private static void assertSameRecords(SQSEvent aws, SQSEvent quarkus) {
        assertEquals(aws.getRecords().size(), quarkus.getRecords().size());
        for (int i = 0; i < aws.getRecords().size(); i++) {
            SQSEvent.SQSMessage a = aws.getRecords().get(i);
            SQSEvent.SQSMessage q = quarkus.getRecords().get(i);
            assertEquals(a.getMessageId(), q.getMessageId());
            assertEquals(a.getReceiptHandle(), q.getReceiptHandle());
            assertEquals(a.getBody(), q.getBody());
            assertEquals(a.getAttributes(), q.getAttributes());
            assertEquals(a.getEventSourceArn(), q.getEventSourceArn(), "eventSourceARN");
        }
    }

    private static TestContext context() {
        return TestContext.of("test", Duration.ofSeconds(10));
    }

}
