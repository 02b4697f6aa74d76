package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.desktop.DaemonService;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Target;
import dev.runlane.testing.Fixtures;
import dev.runlane.testing.InMemoryPorts;
import dev.runlane.testing.TestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon routes' refusals, on in-memory ports: who is refused, with what, and before reading what. */
class DaemonApiHandlerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REPORT = "POST /runs/{runId}/reports";
    private static final String ACK = "POST /daemons/{daemonId}/frames/ack";
    /** The daemon routes' largest body (a report): 1 MiB. */
    private static final int ONE_MIB = 1024 * 1024;

    private final InMemoryPorts ports = new InMemoryPorts();
    private final DaemonApiHandler api = new DaemonApiHandler();

    DaemonApiHandlerTest() {
        api.daemons = new DaemonService(ports.daemons, ports.frames, ports.runs, ports.fence, ports.workflow, Clock.systemUTC());
    }

    /**
     * Issue 18, item 5: the daemon routes parsed a body before authenticating it, so anyone could make them
     * parse 1 MiB (then 401). A wrong credential is now refused before the body is looked at: a body that is
     * not JSON, or over the limit, still answers 401, not 400 or 413.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {REPORT, ACK})
    void aWrongCredentialIsRefusedBeforeTheBodyIsRead(String route) throws Exception {
        String daemon = "laptop-1";
        register(daemon);
        String forged = "rld." + daemon + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        String notJson = "{" + "x".repeat(ONE_MIB - 1);
        for (String body : new String[] {notJson, notJson + "x", "[]"}) {
            APIGatewayV2HTTPResponse answer = api.handleRequest(request(route, forged, daemon, "run-1", body), context());
            assertEquals(401, answer.getStatusCode(), route + " with " + body.length() + " bytes: " + answer.getBody());
            assertEquals("Unauthorized", code(answer));
            assertEquals("Bearer", answer.getHeaders().get("www-authenticate"));
        }
        APIGatewayV2HTTPResponse none = api.handleRequest(request(route, null, daemon, "run-1", notJson), context());
        assertEquals(401, none.getStatusCode(), none.getBody());
    }

    /** With its own credential, the same bodies are read: the body's own refusals come after authentication. */
    @Test
    void anAuthenticatedReportsBodyIsStillChecked() throws Exception {
        String credential = register("laptop-1");
        String runId = desktopRun("laptop-1");
        assertEquals(400, api.handleRequest(request(REPORT, credential, "laptop-1", runId, "{" + "x".repeat(100)), context())
                .getStatusCode());
        assertEquals(413, api.handleRequest(request(REPORT, credential, "laptop-1", runId, "{" + "x".repeat(ONE_MIB)), context())
                .getStatusCode());
    }

    /**
     * Issue 18, item 5: a report told 404 (no such run) from 403 (another daemon's run), so a daemon could probe
     * which run ids exist. Both now answer the same 404 RunNotFound, with the same message.
     */
    @Test
    void aReportForARunThatIsNotThisDaemonsAnswersAsOneThatDoesNotExist() throws Exception {
        String credential = register("laptop-1");
        register("laptop-2");
        String others = desktopRun("laptop-2");
        String hosted = "run-hosted";
        ports.runs.put(new Run(hosted, "thread-hosted", Target.HOSTED, null, RunStatus.RUNNING, 1, 1L, "arn", null,
                Instant.now(), Instant.now(), null, "seq", "receipt", "hash", 0, null, null));
        String report = "{\"type\":\"heartbeat\",\"fenceToken\":1}";

        for (String runId : new String[] {others, hosted, "run-nobody"}) {
            APIGatewayV2HTTPResponse answer = api.handleRequest(request(REPORT, credential, "laptop-1", runId, report), context());
            assertEquals(404, answer.getStatusCode(), runId + ": " + answer.getBody());
            assertEquals("RunNotFound", code(answer), answer.getBody());
            assertEquals("no run " + runId + " dispatched to this daemon", JSON.readTree(answer.getBody()).at("/error/message").asText());
        }
        assertTrue(ports.workflow.taskCalls.isEmpty(), "nothing forwarded");
    }

    /** Issue 18, item 3: DELETE /daemons/{daemonId} (IAM, an operator's call): the credential is refused at once. */
    @Test
    void aRevokedDaemonsCredentialIsRefusedAtOnceOnFramesAndReports() throws Exception {
        String credential = register("laptop-1");
        String runId = desktopRun("laptop-1");
        assertEquals(200, api.handleRequest(frames("laptop-1", credential), context()).getStatusCode());

        APIGatewayV2HTTPResponse revoked = api.handleRequest(operator("api-revoke-daemon", "laptop-1"), context());

        assertEquals(200, revoked.getStatusCode(), revoked.getBody());
        assertEquals("{\"daemonId\":\"laptop-1\",\"failedRuns\":[]}", revoked.getBody());
        assertUnauthorized(api.handleRequest(frames("laptop-1", credential), context()));
        assertUnauthorized(api.handleRequest(request(REPORT, credential, "laptop-1", runId, "{\"type\":\"heartbeat\",\"fenceToken\":1}"),
                context()));
        APIGatewayV2HTTPResponse again = api.handleRequest(operator("api-revoke-daemon", "laptop-1"), context());
        assertEquals(404, again.getStatusCode(), again.getBody());
        assertEquals("DaemonNotFound", code(again));
    }

    /** Issue 18, item 3: POST /daemons/{daemonId}/credential (IAM): a new credential, the old one refused at once. */
    @Test
    void aRotatedCredentialIsRefusedAtOnceAndTheNewOneWorks() throws Exception {
        String old = register("laptop-1");
        String runId = desktopRun("laptop-1");

        APIGatewayV2HTTPResponse rotated = api.handleRequest(operator("api-rotate-daemon-credential", "laptop-1"), context());

        assertEquals(200, rotated.getStatusCode(), rotated.getBody());
        JsonNode body = JSON.readTree(rotated.getBody());
        assertEquals("laptop-1", body.path("daemonId").asText());
        String fresh = body.path("credential").asText();
        assertTrue(fresh.startsWith("rld.laptop-1.") && !fresh.equals(old), rotated.getBody());
        String heartbeat = "{\"type\":\"heartbeat\",\"fenceToken\":1}";
        assertUnauthorized(api.handleRequest(frames("laptop-1", old), context()));
        assertUnauthorized(api.handleRequest(request(REPORT, old, "laptop-1", runId, heartbeat), context()));
        assertEquals(200, api.handleRequest(frames("laptop-1", fresh), context()).getStatusCode());
        APIGatewayV2HTTPResponse accepted = api.handleRequest(request(REPORT, fresh, "laptop-1", runId, heartbeat), context());
        assertEquals(202, accepted.getStatusCode(), accepted.getBody());

        APIGatewayV2HTTPResponse unknown = api.handleRequest(operator("api-rotate-daemon-credential", "laptop-9"), context());
        assertEquals(404, unknown.getStatusCode(), unknown.getBody());
        assertEquals("DaemonNotFound", code(unknown));
    }

    private static APIGatewayV2HTTPEvent operator(String fixture, String daemon) {
        return Fixtures.event(fixture).withDaemonId(daemon).as(APIGatewayV2HTTPEvent.class);
    }

    /** A frames poll that does not wait. */
    private static APIGatewayV2HTTPEvent frames(String daemon, String credential) {
        APIGatewayV2HTTPEvent fixture = Fixtures.event("daemon-fetch-frames").replace(Fixtures.CREDENTIAL, credential)
                .withDaemonId(daemon).as(APIGatewayV2HTTPEvent.class);
        return Fixtures.httpRequest(fixture.getRouteKey(), fixture.getHeaders(), Map.of("waitSeconds", "0"),
                fixture.getPathParameters(), null, false, fixture.getRequestContext());
    }

    private static void assertUnauthorized(APIGatewayV2HTTPResponse answer) throws Exception {
        assertEquals(401, answer.getStatusCode(), answer.getBody());
        assertEquals("Unauthorized", code(answer));
    }

    private String register(String daemon) throws Exception {
        APIGatewayV2HTTPResponse registered = api.handleRequest(Fixtures.event("api-register-daemon").withDaemonId(daemon)
                .as(APIGatewayV2HTTPEvent.class), context());
        assertEquals(201, registered.getStatusCode(), registered.getBody());
        return JSON.readTree(registered.getBody()).get("credential").asText();
    }

    private String desktopRun(String daemon) {
        String runId = "run-" + ports.runs.items.size();
        String thread = "thread-" + runId;
        ports.fence.acquire(thread, runId, 1, Instant.now());
        ports.runs.put(new Run(runId, thread, Target.DESKTOP, daemon, RunStatus.RUNNING, 1, 1L, "arn", null,
                Instant.now(), Instant.now(), null, "seq", "receipt", "hash", 0, "task-" + runId, null));
        return runId;
    }

    private static APIGatewayV2HTTPEvent request(String routeKey, String credential, String daemon, String runId, String body) {
        APIGatewayV2HTTPEvent template = Fixtures.event("daemon-report-progress").as(APIGatewayV2HTTPEvent.class);
        Map<String, String> headers = new HashMap<>(template.getHeaders());
        headers.remove("authorization");
        headers.remove("content-length");
        if (credential != null) {
            headers.put("authorization", "Bearer " + credential);
        }
        Map<String, String> path = routeKey.contains("{runId}") ? Map.of("runId", runId) : Map.of("daemonId", daemon);
        return Fixtures.httpRequest(routeKey, headers, null, path, body, false, template.getRequestContext());
    }

    private static String code(APIGatewayV2HTTPResponse answer) throws Exception {
        JsonNode body = JSON.readTree(answer.getBody());
        return body.at("/error/code").asText();
    }

    private static TestContext context() {
        return TestContext.of("daemon-api", Duration.ofSeconds(10));
    }
}
