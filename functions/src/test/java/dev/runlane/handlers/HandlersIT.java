package dev.runlane.handlers;

import dev.runlane.agent.Agents;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import dev.runlane.testing.LambdaMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.aws.DynamoFence;
import dev.runlane.aws.DynamoRunStore;
import dev.runlane.aws.SqsThreadQueue;
import dev.runlane.aws.StepFunctionsWorkflow;
import dev.runlane.dispatch.Dispatcher;
import dev.runlane.domain.QueueMessage;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Workflow;
import dev.runlane.gate.Gate;
import dev.runlane.runs.Finalizer;
import dev.runlane.runs.RunService;
import dev.runlane.testing.Fixtures;
import dev.runlane.testing.LocalAws;
import dev.runlane.testing.TestContext;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sqs.model.Message;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.runlane.testing.Fixtures.event;
import static dev.runlane.testing.Fixtures.uniqueId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The handlers, driven with the events/ fixtures, against real tables, queues and a state machine on moto. */
class HandlersIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalAws aws = LocalAws.get();
    private final DynamoRunStore runs = new DynamoRunStore(aws.dynamo, aws.settings);
    private final DynamoFence fence = new DynamoFence(aws.dynamo, aws.settings);
    private final SqsThreadQueue queue = new SqsThreadQueue(aws.sqs, aws.settings.queueUrl(),
            aws.settings.deadLetterQueueUrl().orElseThrow());
    private final StepFunctionsWorkflow workflow = new StepFunctionsWorkflow(aws.sfn, aws.settings.stateMachineArn().orElseThrow());
    private final dev.runlane.aws.DynamoDaemons daemons = new dev.runlane.aws.DynamoDaemons(aws.dynamo, aws.settings);
    private final Finalizer finalizer = new Finalizer(runs, fence, queue, Clock.systemUTC());
    private final dev.runlane.aws.DynamoThreads threads = new dev.runlane.aws.DynamoThreads(aws.dynamo, aws.settings);
    private final dev.runlane.runs.Cancellation cancellation = new dev.runlane.runs.Cancellation(finalizer, workflow,
            new dev.runlane.aws.DynamoFrames(aws.dynamo, aws.settings), Clock.systemUTC());
    private final RunService service = new RunService(runs, threads, queue, cancellation, 1000, Clock.systemUTC());

    private final ApiHandler api = new ApiHandler();
    private final GateHandler gate = new GateHandler();
    private final HostedDispatchHandler hosted = new HostedDispatchHandler();
    private final DesktopDispatchHandler desktop = new DesktopDispatchHandler();
    private final FinalizeHandler finalize = new FinalizeHandler();
    private final ReaperHandler reaper = new ReaperHandler();

    HandlersIT() {
        api.runs = service;
        gate.gate = new Gate(runs, threads, queue, workflow, finalizer, cancellation, aws.settings.holdSeconds(), Clock.systemUTC());
        Dispatcher dispatcher = new Dispatcher(fence, runs, daemons, Agents.load(Agents.ECHO), aws.settings.heartbeatSeconds(), Clock.systemUTC());
        hosted.dispatcher = dispatcher;
        desktop.dispatcher = dispatcher;
        finalize.finalizer = finalizer;
        reaper.finalizer = finalizer;
    }

    @Test
    void startingWithAnIdempotencyKeyTwiceGivesOneRun() throws Exception {
        String thread = uniqueId("t");
        APIGatewayV2HTTPEvent request = event("api-start-run").replace(Fixtures.THREAD_ID, thread).as(APIGatewayV2HTTPEvent.class);

        APIGatewayV2HTTPResponse first = api.handleRequest(request, context());
        APIGatewayV2HTTPResponse again = api.handleRequest(request, context());

        assertEquals(202, first.getStatusCode());
        assertEquals(200, again.getStatusCode());
        JsonNode run = JSON.readTree(first.getBody());
        assertEquals(run.get("runId"), JSON.readTree(again.getBody()).get("runId"));
        assertEquals("QUEUED", run.get("status").asText());
        assertEquals("/runs/" + run.get("runId").asText(), first.getHeaders().get("location"));
        assertEquals(1, listRuns(thread).size(), "one run on the thread");
        assertNotNull(runs.find(run.get("runId").asText()).orElseThrow().queueSeq(), "it was enqueued");
    }

    @Test
    void aThreadsRunsAreListedInQueueOrderAndPaged() throws Exception {
        String thread = uniqueId("t");
        List<String> started = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            started.add(startRun(thread, "key-" + i));
        }
        APIGatewayV2HTTPEvent list = event("api-list-thread-runs").replace(Fixtures.THREAD_ID, thread).as(APIGatewayV2HTTPEvent.class);
        JsonNode page = JSON.readTree(api.handleRequest(withQuery(list, Map.of("limit", "2")), context()).getBody());
        assertEquals(2, page.get("runs").size());
        assertTrue(page.hasNonNull("nextToken"));
        JsonNode rest = JSON.readTree(api.handleRequest(withQuery(list, Map.of("limit", "2",
                "nextToken", page.get("nextToken").asText())), context()).getBody());
        List<String> listed = new java.util.ArrayList<>();
        page.get("runs").forEach(r -> listed.add(r.get("runId").asText()));
        rest.get("runs").forEach(r -> listed.add(r.get("runId").asText()));
        assertEquals(started, listed);
        assertTrue(rest.get("nextToken").isNull());

        APIGatewayV2HTTPResponse forged = api.handleRequest(withQuery(list, Map.of("nextToken", "eyJydW5JZCI6IngifQ")), context());
        assertEquals(400, forged.getStatusCode());
        assertEquals("InvalidNextToken", JSON.readTree(forged.getBody()).at("/error/code").asText());
    }

    @Test
    void aHostedRunGoesThroughGateDispatchAndFinalize() throws Exception {
        String threadA = uniqueId("ta");
        String threadB = uniqueId("tb");
        String malformedThread = uniqueId("tc");
        String a1 = service.start(threadA, dev.runlane.runs.StartRequest.of(JSON.createObjectNode().put("target", "hosted")
                .set("input", JSON.createObjectNode().put("agent", "simulated").put("durationMs", 500))), "1").run().runId();
        String a2 = startRun(threadA, "2");
        String b1 = startRun(threadB, "1");
        String b2 = startRun(threadB, "2");
        Map<String, String> receipts = receive(List.of(a1, a2, b1, b2));

        // The fixture batch: two runs on each of two threads, then a malformed message.
        JsonNode batch = event("sqs-thread-batch")
                .replace(Fixtures.THREAD_ID, threadA).replace(Fixtures.RUN_ID, a1).replace(Fixtures.THREAD_A_SECOND_RUN, a2)
                .replace(Fixtures.THREAD_B, threadB).replace(Fixtures.THREAD_B_FIRST_RUN, b1)
                .replace(Fixtures.THREAD_B_SECOND_RUN, b2).replace(Fixtures.MALFORMED_GROUP, malformedThread).json();
        for (JsonNode record : batch.get("Records")) {
            String runId = record.get("body").asText().replaceAll(".*\"runId\":\"([^\"]+)\".*", "$1");
            ((ObjectNode) record).put("receiptHandle", receipts.getOrDefault(runId, "not-a-receipt"));
        }
        SQSBatchResponse response = gate.handleRequest(LambdaMapper.MAPPER.treeToValue(batch, SQSEvent.class), context());

        List<String> kept = response.getBatchItemFailures().stream().map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).toList();
        List<String> ids = new java.util.ArrayList<>();
        batch.get("Records").forEach(r -> ids.add(r.get("messageId").asText()));
        assertEquals(ids.subList(0, 4), kept, "both heads held, both later runs kept behind them, malformed one moved aside");
        assertEquals(RunStatus.RUNNING, runs.find(a1).orElseThrow().status());
        assertEquals(RunStatus.QUEUED, runs.find(a2).orElseThrow().status());
        assertEquals(Workflow.Status.RUNNING, workflow.describe(a1).orElseThrow().status());
        assertTrue(workflow.describe(a2).isEmpty(), "a later run of a held thread is not started");

        // The state machine's hosted dispatch Task, then its Record success step.
        Dispatcher.HostedResult attempt = hosted.handleRequest(event("hosted-dispatch").withRunId(a1).withThreadId(threadA)
                .as(DispatchTask.class), context());
        assertEquals(1, attempt.attempt());
        JsonNode output = JSON.readTree(runs.payloads(a1).output());
        assertEquals("simulated", output.get("agent").asText(), "the attempt stored its output");
        JsonNode events = JSON.readTree(api.handleRequest(event("api-list-run-events").withRunId(a1)
                .as(APIGatewayV2HTTPEvent.class), context()).getBody()).get("events");
        assertEquals(output.get("progressEvents").asInt(), events.size());
        assertTrue(events.size() >= 1);
        assertEquals(attempt.fenceToken(), events.get(0).get("fenceToken").asLong());

        Map<String, Object> recorded = finalize.handleRequest(event("finalize-success").withRunId(a1)
                .as(FinalizeTask.class), context());
        assertEquals(true, recorded.get("ended"));
        JsonNode run = JSON.readTree(api.handleRequest(event("api-get-run").withRunId(a1).as(APIGatewayV2HTTPEvent.class),
                context()).getBody());
        assertEquals("SUCCEEDED", run.get("status").asText());
        assertEquals(1, run.get("attempts").asInt());
        assertEquals(output, run.get("output"));
        assertTrue(Instant.parse(run.get("startedAt").asText()).isBefore(Instant.parse(run.get("finishedAt").asText())));

        // Done: the finalizer deleted a1's head, so the thread's next run comes next and starts.
        Map<String, String> next = receive(List.of(a2));
        SQSBatchResponse moved = gate.handleRequest(sqsEvent(threadA, List.of(a2), next), context());
        assertEquals(1, moved.getBatchItemFailures().size(), "a2 held");
        assertEquals(RunStatus.RUNNING, runs.find(a2).orElseThrow().status());
        assertEquals(1, aws.sqs.receiveMessage(r -> r.queueUrl(aws.settings.deadLetterQueueUrl().orElseThrow())
                .maxNumberOfMessages(10).attributeNamesWithStrings("All")).messages().stream()
                .filter(m -> malformedThread.equals(m.attributes().get(
                        software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName.MESSAGE_GROUP_ID))).count(),
                "the malformed message is in the dead-letter queue");
    }

    @Test
    void cancellingARunningRunStopsItsExecutionAndFencesItsAttempt() throws Exception {
        String thread = uniqueId("t");
        String runId = startRun(thread, "c");
        admit(thread, runId);
        long token = fence.acquire(thread, runId, 1, Instant.now());

        APIGatewayV2HTTPResponse cancelled = api.handleRequest(event("api-cancel-run").withRunId(runId).as(APIGatewayV2HTTPEvent.class), context());
        assertEquals(200, cancelled.getStatusCode());
        assertEquals("CANCELLED", JSON.readTree(cancelled.getBody()).get("status").asText());
        assertEquals(Workflow.Status.ABORTED, workflow.describe(runId).orElseThrow().status());
        org.junit.jupiter.api.Assertions.assertThrows(dev.runlane.domain.StaleAttemptException.class, () -> fence.append(thread,
                new dev.runlane.domain.RunEvent(runId, 1, token, Instant.now(), "progress", "{}")));

        APIGatewayV2HTTPResponse twice = api.handleRequest(event("api-cancel-run").withRunId(runId).as(APIGatewayV2HTTPEvent.class), context());
        assertEquals(200, twice.getStatusCode(), "a repeated cancel completes the first and answers with the run");
        assertEquals("CANCELLED", JSON.readTree(twice.getBody()).get("status").asText());

        // The execution's ABORTED status change reaches the reaper: the run keeps its outcome.
        Map<String, Object> reaped = reaper.handleRequest(event("execution-aborted").withRunId(runId)
                .as(ScheduledEvent.class), context());
        assertEquals(false, reaped.get("ended"));
        assertEquals(RunStatus.CANCELLED, runs.find(runId).orElseThrow().status());
    }

    @Test
    void theReaperEndsARunWhoseExecutionWasStoppedFromOutside() {
        String thread = uniqueId("t");
        String runId = startRun(thread, "r");
        admit(thread, runId);
        workflow.stop(runId, "Console", "stopped in the console");

        Map<String, Object> reaped = reaper.handleRequest(event("execution-aborted").withRunId(runId)
                .as(ScheduledEvent.class), context());

        assertEquals(true, reaped.get("ended"));
        Run run = runs.find(runId).orElseThrow();
        assertEquals(RunStatus.CANCELLED, run.status());
        assertEquals("ExecutionAborted", run.error().code());
    }

    @Test
    void aTimedOutAttemptIsRecordedAsTimedOut() {
        String thread = uniqueId("t");
        String runId = startRun(thread, "f");
        admit(thread, runId);
        finalize.handleRequest(event("finalize-failure").withRunId(runId).as(FinalizeTask.class), context());
        assertEquals(RunStatus.TIMED_OUT, runs.find(runId).orElseThrow().status());
    }

    @Test
    void aDesktopDispatchLeavesOneStartFrameForItsDaemon() {
        String thread = uniqueId("t");
        String daemon = uniqueId("d");
        daemons.register(daemon, "hash", Instant.now());
        String runId = service.start(thread, dev.runlane.runs.StartRequest.of(JSON.createObjectNode()
                .put("target", "desktop").put("daemonId", daemon).set("input", JSON.createObjectNode())), "k").run().runId();

        Map<String, Long> sent = desktop.handleRequest(event("desktop-dispatch").withRunId(runId).withThreadId(thread)
                .withDaemonId(daemon).as(DispatchTask.class), context());

        List<Map<String, AttributeValue>> frames = aws.dynamo.query(r -> r.tableName(aws.settings.framesTable())
                .keyConditionExpression("daemonId = :d")
                .expressionAttributeValues(Map.of(":d", AttributeValue.fromS(daemon)))).items();
        assertEquals(1, frames.size());
        assertEquals("start", frames.get(0).get("kind").s());
        assertEquals(runId, frames.get(0).get("runId").s());
        assertEquals(sent.get("fenceToken").toString(), frames.get(0).get("fenceToken").n());
        assertFalse(frames.get(0).containsKey("taskToken"), "the task token stays on the server");
        Run run = runs.find(runId).orElseThrow();
        assertEquals(1, run.attempts());
        assertEquals(event("desktop-dispatch").as(DispatchTask.class).taskToken(), run.taskToken(),
                "reports of the daemon complete this task");
    }

    @Test
    void aDesktopRunForAnUnregisteredDaemonFailsItsOneDispatch() {
        String thread = uniqueId("t");
        String runId = service.start(thread, dev.runlane.runs.StartRequest.of(JSON.createObjectNode()
                .put("target", "desktop").put("daemonId", uniqueId("nobody")).set("input", JSON.createObjectNode())), "k")
                .run().runId();
        org.junit.jupiter.api.Assertions.assertThrows(dev.runlane.dispatch.UnknownDaemonException.class,
                () -> desktop.handleRequest(event("desktop-dispatch").withRunId(runId).withThreadId(thread)
                        .as(DispatchTask.class), context()));
        assertEquals(1, runs.find(runId).orElseThrow().attempts());
    }

    // ------------------------------------------------------------------ helpers

    @Test
    void theThreadControlsAndRerunAnswerThroughTheApiWithTheirFixtures() throws Exception {
        String thread = uniqueId("t");
        JsonNode paused = call(event("api-pause-thread").withThreadId(thread).as(APIGatewayV2HTTPEvent.class), 200);
        assertTrue(paused.get("paused").asBoolean());
        assertNotNull(paused.get("pausedAt").textValue());
        String runId = startRun(thread, "controls");

        JsonNode view = call(event("api-get-thread").withThreadId(thread).as(APIGatewayV2HTTPEvent.class), 200);
        assertEquals(1, view.get("queued").asInt());
        assertTrue(view.get("running").isNull());
        assertEquals(runId, view.at("/lastRun/runId").asText());

        JsonNode rerun = call(event("api-rerun-run").withRunId(runId).as(APIGatewayV2HTTPEvent.class), 202);
        assertEquals(runId, rerun.get("rerunOf").asText());
        assertEquals("cancel-others", rerun.get("onBusy").asText());
        assertNotNull(rerun.get("expiresAt").textValue());
        assertEquals("Superseded", runs.find(runId).orElseThrow().error().code(), "the rerun cancelled the run before it");

        APIGatewayV2HTTPEvent watch = event("api-watch-run-events").withRunId(rerun.get("runId").asText()).as(APIGatewayV2HTTPEvent.class);
        assertEquals("InvalidNextToken", call(watch, 400).at("/error/code").asText(), "a cursor of another run is refused");
        JsonNode live = call(withQuery(watch, Map.of("waitSeconds", "0")), 200);
        assertEquals(0, live.get("events").size());
        assertEquals("QUEUED", live.get("status").asText());
        assertEquals("InvalidWait", call(withQuery(watch, Map.of("waitSeconds", "21")), 400).at("/error/code").asText());

        JsonNode cancelled = call(event("api-cancel-thread").withThreadId(thread).as(APIGatewayV2HTTPEvent.class), 200);
        assertEquals(List.of(rerun.get("runId").asText()), JSON.convertValue(cancelled.get("cancelled"), List.class));
        JsonNode resumed = call(event("api-resume-thread").withThreadId(thread).as(APIGatewayV2HTTPEvent.class), 200);
        assertFalse(resumed.get("paused").asBoolean());
        assertEquals(0, resumed.get("queued").asInt());
    }

    @Test
    void theThreadListShowsTheMostRecentlyActiveThreadsFirstPageByPage() throws Exception {
        String older = uniqueId("t");
        String newer = uniqueId("t");
        call(event("api-pause-thread").withThreadId(older).as(APIGatewayV2HTTPEvent.class), 200);
        call(event("api-pause-thread").withThreadId(newer).as(APIGatewayV2HTTPEvent.class), 200);
        String runId = startRun(older, "listed");
        call(event("api-resume-thread").withThreadId(older).as(APIGatewayV2HTTPEvent.class), 200);
        admit(older, runId); // the resume and the admission make the older thread the most recently active again

        APIGatewayV2HTTPEvent list = event("api-list-threads").as(APIGatewayV2HTTPEvent.class);
        JsonNode first = call(withQuery(list, Map.of("limit", "1")), 200);
        assertEquals(1, first.get("threads").size());
        assertTrue(first.hasNonNull("nextToken"));
        JsonNode second = call(withQuery(list, Map.of("limit", "1", "nextToken", first.get("nextToken").asText())), 200);
        JsonNode top = first.at("/threads/0");
        assertEquals(List.of(older, newer), List.of(top.get("threadId").asText(), second.at("/threads/0/threadId").asText()),
                "newest activity first, and the next page goes on after it");
        assertEquals(runId, top.at("/running/runId").asText(), "each thread as GET /threads/{threadId} shows it");
        assertFalse(top.get("paused").asBoolean());
        assertTrue(second.at("/threads/0/paused").asBoolean());
        assertNotNull(top.get("activeAt").textValue());

        assertEquals("InvalidLimit", call(withQuery(list, Map.of("limit", "0")), 400).at("/error/code").asText());
        assertEquals("InvalidNextToken", call(withQuery(list, Map.of("nextToken", "eyJydW5JZCI6IngifQ")), 400)
                .at("/error/code").asText(), "a cursor of another listing is refused");
    }

    private JsonNode call(APIGatewayV2HTTPEvent request, int status) throws Exception {
        APIGatewayV2HTTPResponse response = api.handleRequest(request, context());
        assertEquals(status, response.getStatusCode(), response.getBody());
        return JSON.readTree(response.getBody());
    }

    private String startRun(String thread, String key) {
        return service.start(thread, dev.runlane.runs.StartRequest.of(JSON.createObjectNode().put("target", "hosted")
                .set("input", JSON.createObjectNode().put("agent", "echo"))), key).run().runId();
    }

    /** Receives the run's message and lets the gate admit it (start its execution and hold its thread). */
    private void admit(String thread, String runId) {
        SQSBatchResponse held = gate.handleRequest(sqsEvent(thread, List.of(runId), receive(List.of(runId))), context());
        assertEquals(1, held.getBatchItemFailures().size());
    }

    private static SQSEvent sqsEvent(String thread, List<String> runIds, Map<String, String> receipts) {
        List<SQSEvent.SQSMessage> messages = runIds.stream().map(runId -> {
            SQSEvent.SQSMessage message = new SQSEvent.SQSMessage();
            message.setMessageId(uniqueId("m"));
            message.setReceiptHandle(receipts.get(runId));
            message.setBody(QueueMessage.body(thread, runId));
            message.setAttributes(Map.of("MessageGroupId", thread, "MessageDeduplicationId", runId));
            return message;
        }).toList();
        SQSEvent event = new SQSEvent();
        event.setRecords(messages);
        return event;
    }

    private Map<String, String> receive(List<String> runIds) {
        Map<String, String> receipts = new HashMap<>();
        aws.receive(runIds).forEach((runId, message) -> receipts.put(runId, message.receiptHandle()));
        return receipts;
    }

    private List<String> listRuns(String thread) {
        return service.list(thread, 100, null).items().stream().map(Run::runId).toList();
    }

    private static APIGatewayV2HTTPEvent withQuery(APIGatewayV2HTTPEvent request, Map<String, String> query) {
        return Fixtures.httpRequest(request.getRouteKey(), request.getHeaders(), query, request.getPathParameters(), request.getBody(),
                request.getIsBase64Encoded(), request.getRequestContext());
    }

    private static TestContext context() {
        return TestContext.of("test", Duration.ofSeconds(60));
    }
}
