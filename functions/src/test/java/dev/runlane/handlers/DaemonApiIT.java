package dev.runlane.handlers;

import dev.runlane.agent.Agents;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.aws.DynamoDaemons;
import dev.runlane.aws.DynamoFence;
import dev.runlane.aws.DynamoFrames;
import dev.runlane.aws.DynamoRunStore;
import dev.runlane.aws.SqsThreadQueue;
import dev.runlane.aws.StepFunctionsWorkflow;
import dev.runlane.desktop.DaemonService;
import dev.runlane.dispatch.Dispatcher;
import dev.runlane.domain.Frame;
import dev.runlane.runs.Finalizer;
import dev.runlane.runs.RunService;
import dev.runlane.runs.StartRequest;
import dev.runlane.testing.Fixtures;
import dev.runlane.testing.LocalAws;
import dev.runlane.testing.TestContext;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.runlane.testing.Fixtures.event;
import static dev.runlane.testing.Fixtures.uniqueId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon API driven with the events/ fixtures, on real tables (moto). */
class DaemonApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalAws aws = LocalAws.get();
    private final DynamoRunStore runs = new DynamoRunStore(aws.dynamo, aws.settings);
    private final DynamoFence fence = new DynamoFence(aws.dynamo, aws.settings);
    private final DynamoFrames frames = new DynamoFrames(aws.dynamo, aws.settings);
    private final DynamoDaemons daemons = new DynamoDaemons(aws.dynamo, aws.settings);
    private final StepFunctionsWorkflow workflow = new StepFunctionsWorkflow(aws.sfn, aws.settings.stateMachineArn().orElseThrow());
    private final SqsThreadQueue queue = new SqsThreadQueue(aws.sqs, aws.settings.queueUrl(), null);
    private final RunService service = new RunService(runs, new dev.runlane.aws.DynamoThreads(aws.dynamo, aws.settings), queue,
            new dev.runlane.runs.Cancellation(new Finalizer(runs, fence, queue, Clock.systemUTC()), workflow, frames, Clock.systemUTC()),
            1000, Clock.systemUTC());
    private final DaemonApiHandler api = new DaemonApiHandler();
    private final DesktopDispatchHandler desktop = new DesktopDispatchHandler();

    DaemonApiIT() {
        api.daemons = new DaemonService(daemons, frames, runs, fence, workflow, Clock.systemUTC());
        desktop.dispatcher = new Dispatcher(fence, runs, daemons, Agents.load(Agents.ECHO), aws.settings.heartbeatSeconds(), Clock.systemUTC());
    }

    @Test
    void aDaemonRegistersFetchesItsStartFrameAcknowledgesItAndReports() throws Exception {
        String daemon = uniqueId("d");
        APIGatewayV2HTTPResponse registered = api.handleRequest(event("api-register-daemon").withDaemonId(daemon)
                .as(APIGatewayV2HTTPEvent.class), context());
        assertEquals(201, registered.getStatusCode(), registered.getBody());
        String credential = JSON.readTree(registered.getBody()).get("credential").asText();
        assertEquals(409, api.handleRequest(event("api-register-daemon").withDaemonId(daemon).as(APIGatewayV2HTTPEvent.class),
                context()).getStatusCode());

        String thread = uniqueId("t");
        String earlier = service.start(thread, StartRequest.of(JSON.createObjectNode().put("target", "hosted")
                .set("input", JSON.createObjectNode())), null).run().runId();
        fence.acquire(thread, earlier, 1, Instant.now()); // an earlier run's attempt on the thread: its token 1 is stale now
        JsonNode input = JSON.createObjectNode().put("command", "make build").put("big", new java.math.BigInteger("123456789012345678901234567890"));
        String runId = service.start(thread, StartRequest.of(JSON.createObjectNode().put("target", "desktop")
                .put("daemonId", daemon).set("input", input)), null).run().runId();
        long token = desktop.handleRequest(event("desktop-dispatch").withRunId(runId).withThreadId(thread)
                .withDaemonId(daemon).as(DispatchTask.class), context()).get("fenceToken");

        JsonNode fetched = JSON.readTree(api.handleRequest(asDaemon("daemon-fetch-frames", credential, daemon, runId),
                context()).getBody());
        assertEquals(1, fetched.get("frames").size());
        JsonNode start = fetched.get("frames").get(0);
        assertEquals("start", start.get("kind").asText());
        assertEquals(runId, start.get("runId").asText());
        assertEquals(token, start.get("fenceToken").asLong());
        assertEquals(input.toString(), start.get("input").toString(), "the run's input as sent, for the command's stdin");
        assertEquals(fence.epoch(), start.get("epoch").asText(), "the backend's epoch, for the daemon's token books");
        assertEquals(aws.settings.heartbeatSeconds(), start.get("heartbeatSeconds").asInt(), "the stack's heartbeat window");
        assertEquals(start.get("frameId"), fetched.get("cursor"));

        APIGatewayV2HTTPEvent ack = request(Fixtures.event("daemon-fetch-frames").replace(Fixtures.CREDENTIAL, credential)
                .withDaemonId(daemon).as(APIGatewayV2HTTPEvent.class), "POST /daemons/{daemonId}/frames/ack",
                "{\"frameIds\":[\"" + start.get("frameId").asText() + "\"]}");
        APIGatewayV2HTTPResponse acknowledged = api.handleRequest(ack, context());
        assertEquals(200, acknowledged.getStatusCode(), acknowledged.getBody());
        assertEquals("[" + start.get("frameId") + "]", JSON.readTree(acknowledged.getBody()).get("acknowledged").toString());
        APIGatewayV2HTTPEvent again = asDaemon("daemon-fetch-frames", credential, daemon, runId);
        assertEquals(0, JSON.readTree(api.handleRequest(Fixtures.httpRequest(again.getRouteKey(), again.getHeaders(),
                Map.of("waitSeconds", "1"), again.getPathParameters(), null, false, again.getRequestContext()), context()).getBody())
                .get("frames").size(), "an acknowledged frame is gone");

        // A report with an older token is refused and counted; one with the run's token is accepted and
        // forwarded (moto, not executing here, accepts any task heartbeat; the local cloud's e2e tests run the real wait).
        APIGatewayV2HTTPResponse stale = api.handleRequest(withReport(asDaemon("daemon-report-progress", credential, daemon, runId),
                token - 1), context());
        assertEquals(409, stale.getStatusCode(), stale.getBody());
        assertEquals("StaleFenceToken", JSON.readTree(stale.getBody()).at("/error/code").asText());
        assertEquals(1, runs.find(runId).orElseThrow().staleWrites());
        APIGatewayV2HTTPResponse current = api.handleRequest(withReport(asDaemon("daemon-report-progress", credential, daemon, runId),
                token), context());
        assertEquals(202, current.getStatusCode(), current.getBody());
        assertEquals(1, runs.events(runId, 10, null).items().size(), "the progress event was written with the newest token");

        APIGatewayV2HTTPResponse unknown = api.handleRequest(asDaemon("daemon-report-progress", "rld." + daemon + ".forged", daemon, runId),
                context());
        assertEquals(401, unknown.getStatusCode());
        assertEquals("Bearer", unknown.getHeaders().get("www-authenticate"));
    }

    @Test
    void cancellingADispatchedDesktopRunLeavesACancelFrameAndWithdrawsItsStartFrame() throws Exception {
        String daemon = uniqueId("d");
        String credential = JSON.readTree(api.handleRequest(event("api-register-daemon").withDaemonId(daemon)
                .as(APIGatewayV2HTTPEvent.class), context()).getBody()).get("credential").asText();
        String thread = uniqueId("t");
        String runId = service.start(thread, StartRequest.of(JSON.createObjectNode().put("target", "desktop")
                .put("daemonId", daemon).set("input", JSON.createObjectNode())), null).run().runId();
        long token = desktop.handleRequest(event("desktop-dispatch").withRunId(runId).withThreadId(thread).withDaemonId(daemon)
                .as(DispatchTask.class), context()).get("fenceToken");

        service.cancel(runId);

        // The daemon was away: it gets the cancel, never the start of a run that has ended.
        JsonNode fetched = JSON.readTree(api.handleRequest(asDaemon("daemon-fetch-frames", credential, daemon, runId),
                context()).getBody()).get("frames");
        assertEquals(1, fetched.size(), fetched.toString());
        assertEquals("cancel", fetched.get(0).get("kind").asText());
        assertEquals(runId, fetched.get(0).get("runId").asText());
        assertEquals(token, fetched.get(0).get("fenceToken").asLong());
        assertEquals(1, frames.unacknowledged(daemon, 10).size(), "the start frame was acknowledged on the daemon's behalf");
    }

    @Test
    void aFrameCommittedAfterANewerOneTheDaemonHasReadIsStillDelivered() throws Exception {
        String daemon = uniqueId("d");
        String credential = register(daemon);
        String early = desktopRun(uniqueId("t"), daemon);
        String late = desktopRun(uniqueId("t"), daemon);
        Instant now = Instant.now();
        // The dispatch of "early" stamped its frame first, but its write was retried: "late" commits first.
        frames.send(Frame.start(daemon, late, "t-late", 1, "{}", 60, now.plusSeconds(1)));
        JsonNode first = fetch(daemon, credential, null);
        assertEquals(List.of(late), runIds(first));

        frames.send(Frame.start(daemon, early, "t-early", 1, "{}", 60, now));
        frames.send(Frame.cancel(daemon, early, "t-early", 1, now.plusMillis(1)));
        JsonNode next = fetch(daemon, credential, first.get("cursor").asText());
        assertEquals(List.of(early, early, late), runIds(next), "every unacknowledged frame, oldest first: " + next);
        assertEquals(first.get("cursor"), next.get("cursor"));
    }

    @Test
    void ofTwoProcessesAcknowledgingOneFrameOnlyOneRemovesIt() throws Exception {
        String daemon = uniqueId("d");
        String credential = register(daemon);
        String runId = desktopRun(uniqueId("t"), daemon);
        Frame start = Frame.start(daemon, runId, "t-claim", 1, "{}", 60, Instant.now());
        frames.send(start);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<APIGatewayV2HTTPResponse>> answers = pool.invokeAll(List.of(
                    () -> acknowledge(daemon, credential, start.frameId()), () -> acknowledge(daemon, credential, start.frameId())));
            List<JsonNode> bodies = new java.util.ArrayList<>();
            for (var answer : answers) {
                assertEquals(200, answer.get().getStatusCode(), answer.get().getBody());
                bodies.add(JSON.readTree(answer.get().getBody()).get("acknowledged"));
            }
            assertEquals(1, bodies.stream().mapToInt(JsonNode::size).sum(), "exactly one call removed the frame: " + bodies);
            assertTrue(bodies.stream().anyMatch(b -> b.size() == 1 && b.get(0).asText().equals(start.frameId())), bodies.toString());
        } finally {
            pool.shutdown();
        }
        assertEquals(List.of(), frames.unacknowledged(daemon, 10));
    }

    @Test
    void aSecondSucceededReportOfOneTokenIsRefusedAndTheFirstOutputStays() throws Exception {
        String daemon = uniqueId("d");
        String credential = register(daemon);
        String thread = uniqueId("t");
        String runId = desktopRun(thread, daemon);
        long token = desktop.handleRequest(event("desktop-dispatch").withRunId(runId).withThreadId(thread)
                .withDaemonId(daemon).as(DispatchTask.class), context()).get("fenceToken");

        String first = "{\"type\":\"succeeded\",\"fenceToken\":" + token + ",\"output\":{\"by\":\"process-1\"}}";
        String second = "{\"type\":\"succeeded\",\"fenceToken\":" + token + ",\"output\":{\"by\":\"process-2\"}}";
        APIGatewayV2HTTPResponse accepted = api.handleRequest(withBody(asDaemon("daemon-report-progress", credential, daemon, runId), first), context());
        assertEquals(202, accepted.getStatusCode(), accepted.getBody());
        APIGatewayV2HTTPResponse refused = api.handleRequest(withBody(asDaemon("daemon-report-progress", credential, daemon, runId), second), context());
        assertEquals(409, refused.getStatusCode(), refused.getBody());
        assertEquals("AlreadySucceeded", JSON.readTree(refused.getBody()).at("/error/code").asText());
        assertEquals("{\"by\":\"process-1\"}", runs.payloads(runId).output(), "the first output stays");

        // The first report again, as its daemon retries it when an answer was lost: the same write, accepted.
        APIGatewayV2HTTPResponse retried = api.handleRequest(withBody(asDaemon("daemon-report-progress", credential, daemon, runId), first), context());
        assertEquals(202, retried.getStatusCode(), retried.getBody());
        assertEquals("{\"by\":\"process-1\"}", runs.payloads(runId).output());
    }

    /**
     * Issue 18, item 2: the API once took inputs 999 deep, and the frames answer carrying one was past Jackson's
     * write limit, so every poll of its daemon answered 500 until that run timed out (and every other run sent
     * to the daemon meanwhile timed out too). Frames are now written one at a time: the frame that cannot be
     * served fails its own run and is dropped, and the poll answers 200 with the daemon's other frames.
     */
    @Test
    void aFrameThatCannotBeServedFailsItsOwnRunAndThePollStillAnswers() throws Exception {
        List<String> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
        StepFunctionsWorkflow recording = new StepFunctionsWorkflow(aws.sfn, aws.settings.stateMachineArn().orElseThrow()) {
            @Override
            public void fail(String taskToken, String error, String cause) {
                failed.add(error + ": " + cause);
                super.fail(taskToken, error, cause);
            }
        };
        api.daemons = new DaemonService(daemons, frames, runs, fence, recording, Clock.systemUTC());
        String daemon = uniqueId("d");
        String credential = register(daemon);
        String thread = uniqueId("t");
        String deep = desktopRun(thread, daemon);
        long token = desktop.handleRequest(event("desktop-dispatch").withRunId(deep).withThreadId(thread).withDaemonId(daemon)
                .as(DispatchTask.class), context()).get("fenceToken");
        // Its start frame as it was left for an input stored before the limit: 999 deep (the body 1000, as deep as Jackson reads).
        frames.acknowledge(daemon, frames.unacknowledged(daemon, 10).stream().map(Frame::frameId).toList());
        String input = "{\"a\":".repeat(998) + "{}" + "}".repeat(998);
        Instant now = Instant.now();
        frames.send(Frame.start(daemon, deep, thread, token, input, 60, now));
        String fine = desktopRun(uniqueId("t"), daemon);
        frames.send(Frame.start(daemon, fine, "t-fine", 1, "{\"task\":\"build\"}", 60, now.plusMillis(1)));

        JsonNode answer = fetch(daemon, credential, null);

        assertEquals(List.of(fine), runIds(answer), "the daemon's other frame is served: " + answer);
        assertEquals("{\"task\":\"build\"}", answer.at("/frames/0/input").toString());
        assertEquals(1, failed.size(), failed.toString());
        assertTrue(failed.get(0).startsWith("FrameUndeliverable: its start frame could not be delivered to daemon " + daemon
                + ": its input nests arrays and objects 999 deep"), failed.toString());
        assertEquals(List.of(fine), frames.unacknowledged(daemon, 10).stream().map(Frame::runId).toList(),
                "the undeliverable frame is dropped, not delivered again");
        assertEquals(List.of(fine), runIds(fetch(daemon, credential, null)), "the next poll answers too");
    }

    /**
     * Issue 18, item 3, on real tables: a rotation replaces the stored hash in one conditional write and a
     * revoke deletes it, so the old credential is refused by the very next request (each one reads the hash
     * with a consistent read); a revoke fails the run whose start frame the daemon never got and drops its frames.
     */
    @Test
    void rotatedAndRevokedCredentialsAreRefusedAtOnce() throws Exception {
        String daemon = uniqueId("d");
        String old = register(daemon);
        String thread = uniqueId("t");
        String runId = desktopRun(thread, daemon);
        long token = desktop.handleRequest(event("desktop-dispatch").withRunId(runId).withThreadId(thread)
                .withDaemonId(daemon).as(DispatchTask.class), context()).get("fenceToken");

        APIGatewayV2HTTPResponse rotated = api.handleRequest(event("api-rotate-daemon-credential").withDaemonId(daemon)
                .as(APIGatewayV2HTTPEvent.class), context());
        assertEquals(200, rotated.getStatusCode(), rotated.getBody());
        String fresh = JSON.readTree(rotated.getBody()).get("credential").asText();
        assertEquals(401, poll(daemon, old).getStatusCode());
        assertEquals(401, api.handleRequest(withReport(asDaemon("daemon-report-progress", old, daemon, runId), token), context())
                .getStatusCode());
        assertEquals(List.of(runId), runIds(fetch(daemon, fresh, null)), "its frame waits for the new credential");

        APIGatewayV2HTTPResponse revoked = api.handleRequest(event("api-revoke-daemon").withDaemonId(daemon)
                .as(APIGatewayV2HTTPEvent.class), context());
        assertEquals(200, revoked.getStatusCode(), revoked.getBody());
        assertEquals("[\"" + runId + "\"]", JSON.readTree(revoked.getBody()).get("failedRuns").toString(),
                "the run whose start frame it never acknowledged");
        assertEquals(401, poll(daemon, fresh).getStatusCode());
        assertEquals(401, api.handleRequest(withReport(asDaemon("daemon-report-progress", fresh, daemon, runId), token), context())
                .getStatusCode());
        assertTrue(daemons.credentialHash(daemon).isEmpty());
        assertEquals(List.of(), frames.unacknowledged(daemon, 10));
        for (String fixture : List.of("api-revoke-daemon", "api-rotate-daemon-credential")) {
            APIGatewayV2HTTPResponse gone = api.handleRequest(event(fixture).withDaemonId(daemon).as(APIGatewayV2HTTPEvent.class), context());
            assertEquals(404, gone.getStatusCode(), fixture + ": " + gone.getBody());
            assertEquals("DaemonNotFound", JSON.readTree(gone.getBody()).at("/error/code").asText());
        }
    }

    private APIGatewayV2HTTPResponse poll(String daemon, String credential) {
        APIGatewayV2HTTPEvent template = asDaemon("daemon-fetch-frames", credential, daemon, "unused");
        return api.handleRequest(Fixtures.httpRequest(template.getRouteKey(), template.getHeaders(), Map.of("waitSeconds", "0"),
                template.getPathParameters(), null, false, template.getRequestContext()), context());
    }

    private String register(String daemon) throws Exception {
        return JSON.readTree(api.handleRequest(event("api-register-daemon").withDaemonId(daemon)
                .as(APIGatewayV2HTTPEvent.class), context()).getBody()).get("credential").asText();
    }

    private String desktopRun(String thread, String daemon) {
        return service.start(thread, StartRequest.of(JSON.createObjectNode().put("target", "desktop")
                .put("daemonId", daemon).set("input", JSON.createObjectNode())), null).run().runId();
    }

    private JsonNode fetch(String daemon, String credential, String after) throws Exception {
        APIGatewayV2HTTPEvent template = asDaemon("daemon-fetch-frames", credential, daemon, "unused");
        Map<String, String> query = new java.util.HashMap<>(Map.of("waitSeconds", "0"));
        if (after != null) {
            query.put("after", after);
        }
        APIGatewayV2HTTPResponse response = api.handleRequest(Fixtures.httpRequest(template.getRouteKey(), template.getHeaders(),
                query, template.getPathParameters(), null, false, template.getRequestContext()), context());
        assertEquals(200, response.getStatusCode(), response.getBody());
        return JSON.readTree(response.getBody());
    }

    private static List<String> runIds(JsonNode batch) {
        List<String> ids = new java.util.ArrayList<>();
        batch.get("frames").forEach(frame -> ids.add(frame.get("runId").asText()));
        return ids;
    }

    private APIGatewayV2HTTPResponse acknowledge(String daemon, String credential, String frameId) {
        return api.handleRequest(request(asDaemon("daemon-fetch-frames", credential, daemon, "unused"),
                "POST /daemons/{daemonId}/frames/ack", "{\"frameIds\":[\"" + frameId + "\"]}"), context());
    }

    private static APIGatewayV2HTTPEvent withBody(APIGatewayV2HTTPEvent request, String body) {
        return Fixtures.httpRequest(request.getRouteKey(), request.getHeaders(), null, request.getPathParameters(), body, false,
                request.getRequestContext());
    }

    private static APIGatewayV2HTTPEvent asDaemon(String fixture, String credential, String daemon, String runId) {
        return event(fixture).replace(Fixtures.CREDENTIAL, credential).replaceIfPresent(Fixtures.DAEMON_ID, daemon)
                .replaceIfPresent(Fixtures.RUN_ID, runId).as(APIGatewayV2HTTPEvent.class);
    }

    private static APIGatewayV2HTTPEvent withReport(APIGatewayV2HTTPEvent request, long token) {
        return Fixtures.httpRequest(request.getRouteKey(), request.getHeaders(), null, request.getPathParameters(),
                "{\"type\":\"progress\",\"fenceToken\":" + token + ",\"data\":{\"line\":\"compiling\"}}", false,
                request.getRequestContext());
    }

    private static APIGatewayV2HTTPEvent request(APIGatewayV2HTTPEvent template, String routeKey, String body) {
        Map<String, String> headers = new java.util.HashMap<>(template.getHeaders());
        headers.put("content-type", "application/json");
        return Fixtures.httpRequest(routeKey, headers, null, template.getPathParameters(), body, false, template.getRequestContext());
    }

    private static TestContext context() {
        return TestContext.of("daemon-api", Duration.ofSeconds(30));
    }
}
