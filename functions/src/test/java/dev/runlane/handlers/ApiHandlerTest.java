package dev.runlane.handlers;

import dev.runlane.agent.Agents;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.domain.PollSlots;
import dev.runlane.runs.Finalizer;
import dev.runlane.runs.LongPollCap;
import dev.runlane.runs.Cancellation;
import dev.runlane.runs.RunService;
import dev.runlane.runs.StartRequest;
import dev.runlane.testing.Fixtures;
import dev.runlane.testing.InMemoryPorts;
import dev.runlane.testing.TestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static dev.runlane.testing.Fixtures.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API's refusals: each bad input gets its status and error code, and nothing is created. */
class ApiHandlerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InMemoryPorts ports = new InMemoryPorts();
    private final ApiHandler api = new ApiHandler();

    ApiHandlerTest() {
        Finalizer finalizer = new Finalizer(ports.runs, ports.fence, ports.queue, Clock.systemUTC());
        api.runs = new RunService(ports.runs, ports.threads, ports.queue,
                new Cancellation(finalizer, ports.workflow, ports.frames, Clock.systemUTC()), 1000, Clock.systemUTC());
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', value = {
            "{\"target\":\"hosted\",\"input\":{}                      | 400 | InvalidJson",
            "{\"target\":\"hosted\",\"input\":{}} trailing             | 400 | InvalidJson",
            "{\"target\":\"hosted\",\"target\":\"desktop\",\"input\":{}} | 400 | InvalidJson",
            "''                                                       | 400 | InvalidBody",
            "{\"target\":\"gpu\",\"input\":{}}                        | 400 | InvalidTarget",
            "{\"target\":\"hosted\",\"input\":{},\"daemonId\":\"d\"}  | 400 | InvalidDaemonId",
            "{\"target\":\"desktop\",\"input\":{}}                    | 400 | InvalidDaemonId",
            "{\"target\":\"hosted\",\"input\":{},\"onBusy\":\"skip\"} | 400 | InvalidOnBusy",
            "{\"target\":\"hosted\",\"input\":{},\"onBusy\":1}      | 400 | InvalidOnBusy",
            "{\"target\":\"hosted\",\"input\":{},\"onBusy\":null}   | 400 | InvalidOnBusy",
            "{\"target\":\"hosted\",\"input\":{},\"expiresInSeconds\":0}        | 400 | InvalidExpiresInSeconds",
            "{\"target\":\"hosted\",\"input\":{},\"expiresInSeconds\":1.5}      | 400 | InvalidExpiresInSeconds",
            "{\"target\":\"hosted\",\"input\":{},\"expiresInSeconds\":\"60\"}   | 400 | InvalidExpiresInSeconds",
            "{\"target\":\"hosted\",\"input\":{},\"expiresInSeconds\":1209601}  | 400 | InvalidExpiresInSeconds",
            "{\"target\":\"hosted\",\"input\":{},\"expiresInSeconds\":1e400}    | 400 | InvalidExpiresInSeconds",
            "{\"target\":\"hosted\",\"input\":{},\"ttl\":5}          | 400 | UnknownField",
            "{\"target\":\"hosted\",\"input\":{\"agent\":\"gpt\"}}  | 400 | UnknownAgent",
            "{\"target\":\"hosted\",\"input\":{\"agent\":1}}      | 400 | UnknownAgent"})
    void badBodiesAreRefused(String body, int status, String code) throws Exception {
        assertRefused(start(Map.of(), body), status, code);
    }

    /** Inputs runlane could not store and return exactly: refused with a 400 and a reason, never a 500, nothing stored. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"target\":\"hosted\",\"input\":{\"n\":1e999}}                | InvalidNumber",
            "{\"target\":\"hosted\",\"input\":{\"n\":-1e999}}               | InvalidNumber",
            "{\"target\":\"hosted\",\"input\":{\"n\":1e-999}}               | InvalidNumber",
            "{\"target\":\"hosted\",\"input\":{\"n\":[1,{\"m\":2e400}]}}  | InvalidNumber",
            "{\"target\":\"hosted\",\"input\":{\"s\":\"\\ud800\"}}       | InvalidUnicode",
            "{\"target\":\"hosted\",\"input\":{\"s\":\"a\\udc00b\"}}     | InvalidUnicode",
            "{\"target\":\"hosted\",\"input\":{\"s\":[\"\\ud83d\\ud83d\"]}} | InvalidUnicode"})
    void inputsThatCannotBeKeptExactlyAreRefused(String body, String code) throws Exception {
        assertRefused(start(Map.of(), body), 400, code);
    }

    /**
     * The review's finding (issue 18, item 2): an input 999 deep was accepted, and every frames answer that
     * carried it was over Jackson's write limit. Now anything past Json.MAX_DEPTH is a 400 with a reason.
     */
    @ParameterizedTest(name = "input {0} deep")
    @ValueSource(ints = {65, 999})
    void anInputNestedDeeperThanTheLimitIsRefused(int depth) throws Exception {
        String input = "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
        assertRefused(start(Map.of(), "{\"target\":\"hosted\",\"input\":" + input + "}"), 400, "NestingTooDeep");
    }

    @Test
    void numbersAndUnicodeAreStoredExactlyAsSent() {
        String input = "{\"big\":123456789012345678901234567890,\"tenth\":0.1000000000000000055511151231257827,"
                + "\"tiny\":4.9E-324,\"max\":1.7976931348623157E+308,\"pair\":\"\\ud83d\\ude00\"}";
        assertEquals(202, start(Map.of(), "{\"target\":\"hosted\",\"input\":" + input + "}").getStatusCode());
        assertEquals("{\"big\":123456789012345678901234567890,\"tenth\":0.1000000000000000055511151231257827,"
                + "\"tiny\":4.9E-324,\"max\":1.7976931348623157E+308,\"pair\":\"\uD83D\uDE00\"}",
                ports.runs.inputs.values().iterator().next(), "never rounded through a double, never a string");
    }

    @Test
    void aFullThreadQueueRefusesNewRunsWith429AndKeepsItsRuns() throws Exception {
        Finalizer finalizer = new Finalizer(ports.runs, ports.fence, ports.queue, Clock.systemUTC());
        api.runs = new RunService(ports.runs, ports.threads, ports.queue,
                new Cancellation(finalizer, ports.workflow, ports.frames, Clock.systemUTC()), 2, Clock.systemUTC());
        APIGatewayV2HTTPEvent request = event("api-start-run").as(APIGatewayV2HTTPEvent.class);
        for (int i = 0; i < 2; i++) {
            Map<String, String> headers = new HashMap<>(request.getHeaders());
            headers.put("idempotency-key", "k" + i);
            assertEquals(202, api.handleRequest(Fixtures.httpRequest(request.getRouteKey(), headers, null, request.getPathParameters(),
                    "{\"target\":\"hosted\",\"input\":{}}", false, request.getRequestContext()), context()).getStatusCode());
        }
        APIGatewayV2HTTPResponse full = start(Map.of("idempotency-key", "k2"), "{\"target\":\"hosted\",\"input\":{}}");
        assertRefused(full, 429, "ThreadQueueFull", 2);
        assertEquals(200, start(Map.of("idempotency-key", "k1"), "{\"target\":\"hosted\",\"input\":{}}").getStatusCode(),
                "a repeat of a queued run still answers with that run");
        String first = ports.runs.items.keySet().iterator().next();
        ports.fence.end(ports.runs.items.get(first).threadId(), first, dev.runlane.domain.RunStatus.SUCCEEDED, null,
                java.time.Instant.now(), false);
        assertEquals(202, start(Map.of("idempotency-key", "k2"), "{\"target\":\"hosted\",\"input\":{}}").getStatusCode(),
                "a run that ended frees its place at once");
    }

    /** Issue 18, item 4: a caller's long polls are capped; the one too many is 429 with Retry-After, at once. */
    @Test
    void aLongPollPastItsCallersSlotsIs429WithRetryAfterAndEachIamPrincipalHasItsOwn() throws Exception {
        Map<String, Integer> taken = new HashMap<>();
        PollSlots neverGivenBack = new PollSlots() {
            @Override
            public Optional<Slot> take(String caller, int limit, Instant now, Instant until) {
                return taken.merge(caller, 1, Integer::sum) > limit ? Optional.empty() : Optional.of(new Slot(caller, 0, "h"));
            }

            @Override
            public void giveBack(Slot slot) {
            }
        };
        Finalizer finalizer = new Finalizer(ports.runs, ports.fence, ports.queue, Clock.systemUTC());
        api.runs = new RunService(ports.runs, ports.threads, ports.queue, new Cancellation(finalizer, ports.workflow, ports.frames,
                Clock.systemUTC()), 1000, new LongPollCap(neverGivenBack, 1), Agents.load(Agents.ECHO), Clock.systemUTC());
        String runId = JSON.readTree(start(Map.of(), "{\"target\":\"hosted\",\"input\":{}}").getBody()).get("runId").asText();

        assertEquals(200, watch(runId, "alice").getStatusCode(), "alice's one slot: her poll waits, then answers");
        APIGatewayV2HTTPResponse refused = watch(runId, "alice");
        assertRefused(refused, 429, "TooManyLongPolls", 1);
        assertEquals("2", refused.getHeaders().get("retry-after"));
        assertEquals(200, watch(runId, "bob").getStatusCode(), "bob is another caller");
        assertEquals(Map.of("iam:arn:aws:sts::123456789012:assumed-role/runlane-operator/alice", 2,
                "iam:arn:aws:sts::123456789012:assumed-role/runlane-operator/bob", 1), taken);
    }

    /** A live poll of the run ({@code waitSeconds=1}) as the IAM principal {@code who} of the fixture's role. */
    private APIGatewayV2HTTPResponse watch(String runId, String who) {
        APIGatewayV2HTTPEvent request = event("api-watch-run-events").withRunId(runId).replace("alice", who)
                .as(APIGatewayV2HTTPEvent.class);
        return api.handleRequest(Fixtures.httpRequest(request.getRouteKey(), request.getHeaders(), Map.of("waitSeconds", "1"),
                request.getPathParameters(), null, false, request.getRequestContext()), context());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../etc", "a b", "thread%2F1", "-x", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "t;drop"})
    void hostileThreadIdsAreRefused(String threadId) throws Exception {
        APIGatewayV2HTTPEvent request = event("api-start-run").as(APIGatewayV2HTTPEvent.class);
        assertRefused(api.handleRequest(Fixtures.httpRequest(request.getRouteKey(), request.getHeaders(), null,
                Map.of("threadId", threadId), request.getBody(), false, request.getRequestContext()), context()), 400, "InvalidThreadId");
    }

    @Test
    void aBodyOverTheStepFunctionsInputLimitIsRefused() throws Exception {
        String big = "{\"target\":\"hosted\",\"input\":{\"text\":\"" + "x".repeat(StartRequest.MAX_BODY_BYTES) + "\"}}";
        assertRefused(start(Map.of(), big), 413, "BodyTooLarge");
    }

    @Test
    void aBodyJustUnderTheLimitIsAccepted() {
        String prefix = "{\"target\":\"hosted\",\"input\":{\"text\":\"";
        String body = prefix + "x".repeat(StartRequest.MAX_BODY_BYTES - prefix.length() - 3) + "\"}}";
        assertEquals(StartRequest.MAX_BODY_BYTES, body.length());
        assertEquals(202, start(Map.of(), body).getStatusCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", ""})
    void nonJsonContentIsRefused(String contentType) throws Exception {
        assertRefused(start(Map.of("content-type", contentType), "{\"target\":\"hosted\",\"input\":{}}"), 415, "UnsupportedMediaType");
    }

    @Test
    void base64BodiesAreDecoded() {
        String body = Base64.getEncoder().encodeToString("{\"target\":\"hosted\",\"input\":{}}".getBytes());
        APIGatewayV2HTTPEvent request = event("api-start-run").as(APIGatewayV2HTTPEvent.class);
        assertEquals(202, api.handleRequest(Fixtures.httpRequest(request.getRouteKey(), request.getHeaders(), null,
                request.getPathParameters(), body, true, request.getRequestContext()), context()).getStatusCode());
    }

    @Test
    void aReusedIdempotencyKeyWithAnotherRequestConflicts() throws Exception {
        assertEquals(202, start(Map.of(), "{\"target\":\"hosted\",\"input\":{\"n\":1}}").getStatusCode());
        assertRefused(start(Map.of(), "{\"target\":\"hosted\",\"input\":{\"n\":2}}"), 409, "IdempotencyKeyReused", 1);
    }

    @Test
    void unknownRunsAreNotFoundACancelIsIdempotentAndOtherwiseEndedRunsCannotBeCancelled() throws Exception {
        assertRefused(api.handleRequest(event("api-get-run").as(APIGatewayV2HTTPEvent.class), context()), 404, "RunNotFound", 0);
        JsonNode run = JSON.readTree(start(Map.of(), "{\"target\":\"hosted\",\"input\":{}}").getBody());
        APIGatewayV2HTTPEvent cancel = event("api-cancel-run").withRunId(run.get("runId").asText()).as(APIGatewayV2HTTPEvent.class);
        APIGatewayV2HTTPResponse cancelled = api.handleRequest(cancel, context());
        assertEquals(200, cancelled.getStatusCode());
        assertEquals("CANCELLED", JSON.readTree(cancelled.getBody()).get("status").asText());
        assertTrue(ports.workflow.started.isEmpty(), "a cancelled queued run never executes");
        APIGatewayV2HTTPResponse again = api.handleRequest(cancel, context());
        assertEquals(200, again.getStatusCode(), "a repeated cancel completes the first and answers with the run");
        assertEquals("CANCELLED", JSON.readTree(again.getBody()).get("status").asText());

        JsonNode other = JSON.readTree(start(Map.of("idempotency-key", "another"), "{\"target\":\"hosted\",\"input\":{}}").getBody());
        String otherId = other.get("runId").asText();
        ports.fence.end(other.get("threadId").asText(), otherId, dev.runlane.domain.RunStatus.SUCCEEDED, null,
                java.time.Instant.now(), false);
        assertRefused(api.handleRequest(event("api-cancel-run").withRunId(otherId).as(APIGatewayV2HTTPEvent.class), context()),
                409, "RunEnded", 2);
    }

    @Test
    void badPagingIsRefused() throws Exception {
        APIGatewayV2HTTPEvent list = event("api-list-thread-runs").as(APIGatewayV2HTTPEvent.class);
        for (String limit : new String[] {"0", "101", "ten", "-1"}) {
            assertRefused(api.handleRequest(Fixtures.httpRequest(list.getRouteKey(), list.getHeaders(), Map.of("limit", limit),
                    list.getPathParameters(), null, false, list.getRequestContext()), context()), 400, "InvalidLimit", 0);
        }
    }

    @Test
    void anUnexpectedFailureIsA500WithoutAStackTrace() throws Exception {
        api.runs = new RunService(null, null, null, null, 1000, Clock.systemUTC());
        APIGatewayV2HTTPResponse response = api.handleRequest(event("api-get-run").as(APIGatewayV2HTTPEvent.class), context());
        assertEquals(500, response.getStatusCode());
        JsonNode error = JSON.readTree(response.getBody()).get("error");
        assertEquals("InternalError", error.get("code").asText());
        assertFalse(response.getBody().contains("Exception"), response.getBody());
        assertFalse(response.getBody().contains("at dev."), response.getBody());
    }

    private APIGatewayV2HTTPResponse start(Map<String, String> headerOverrides, String body) {
        APIGatewayV2HTTPEvent request = event("api-start-run").as(APIGatewayV2HTTPEvent.class);
        Map<String, String> headers = new HashMap<>(request.getHeaders());
        headers.putAll(headerOverrides);
        return api.handleRequest(Fixtures.httpRequest(request.getRouteKey(), headers, null, request.getPathParameters(),
                body, false, request.getRequestContext()), context());
    }

    /** The thread controls' and rerun's bad bodies and parameters: a 400 with a reason, nothing changed. */
    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "api-cancel-thread | {\"include\":\"running\"}          | InvalidInclude",
            "api-cancel-thread | {\"include\":\"all\",\"x\":1}     | InvalidInclude",
            "api-cancel-thread | []                                 | InvalidInclude",
            "api-cancel-thread | {                                  | InvalidJson",
            "api-rerun-run     | {\"input\":{}}                      | UnknownField",
            "api-rerun-run     | {\"onBusy\":\"later\"}              | InvalidOnBusy",
            "api-rerun-run     | []                                 | InvalidBody"})
    void badControlBodiesAreRefused(String fixture, String body, String code) throws Exception {
        APIGatewayV2HTTPEvent request = event(fixture).as(APIGatewayV2HTTPEvent.class);
        request.setBody(body);
        assertRefused(api.handleRequest(request, context()), 400, code);
        assertTrue(ports.threads.states.isEmpty(), "no thread changed");
    }

    /** The documented default: no body, {} and {"include":"queued"} all cancel the queued runs only. */
    @ParameterizedTest(name = "body {0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {"-", "{}", "{\"include\":\"queued\"}"})
    void aThreadCancelWithoutIncludeCancelsTheQueuedRuns(String body) throws Exception {
        JsonNode queued = JSON.readTree(start(Map.of(), "{\"target\":\"hosted\",\"input\":{}}").getBody());
        APIGatewayV2HTTPEvent request = event("api-cancel-thread").withThreadId(queued.get("threadId").asText())
                .as(APIGatewayV2HTTPEvent.class);
        request.setBody(body);
        APIGatewayV2HTTPResponse response = api.handleRequest(request, context());
        assertEquals(200, response.getStatusCode(), response.getBody());
        assertEquals(queued.get("runId").asText(), JSON.readTree(response.getBody()).get("cancelled").get(0).asText());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"api-get-thread", "api-pause-thread", "api-resume-thread", "api-cancel-thread"})
    void threadRoutesRefuseABadThreadId(String fixture) throws Exception {
        APIGatewayV2HTTPEvent request = event(fixture).withThreadId("bad/thread").as(APIGatewayV2HTTPEvent.class);
        assertRefused(api.handleRequest(request, context()), 400, "InvalidThreadId");
    }

    private void assertRefused(APIGatewayV2HTTPResponse response, int status, String code) throws Exception {
        assertRefused(response, status, code, 0);
    }

    private void assertRefused(APIGatewayV2HTTPResponse response, int status, String code, int runsAfter) throws Exception {
        assertEquals(status, response.getStatusCode(), response.getBody());
        assertEquals("application/json", response.getHeaders().get("content-type"));
        JsonNode error = JSON.readTree(response.getBody()).get("error");
        assertEquals(code, error.get("code").asText());
        assertFalse(error.get("message").asText().isBlank());
        assertEquals(runsAfter, ports.runs.items.size(), "runs stored");
        assertEquals(runsAfter, ports.queue.enqueued.size(), "runs enqueued");
    }

    private static TestContext context() {
        return TestContext.of("api", Duration.ofSeconds(10));
    }

    static {
        // The fixtures' ids must be valid ones, or these tests would prove nothing about them.
        assertTrue(dev.runlane.runs.RunIds.isValid(Fixtures.RUN_ID));
    }
}
