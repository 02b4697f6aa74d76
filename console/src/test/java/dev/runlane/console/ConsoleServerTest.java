package dev.runlane.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The console server against an in-test HTTP server playing the runlane API (no Step Functions needed). */
class ConsoleServerTest {
    private static final String STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:runlane-RunStateMachine";
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<String> received = new CopyOnWriteArrayList<>();
    private HttpServer fakeApi;
    private ConsoleServer console;

    @BeforeEach
    void start() throws Exception {
        fakeApi = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        fakeApi.createContext("/", exchange -> {
            try (exchange) {
                String auth = exchange.getRequestHeaders().getFirst("authorization");
                received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                        + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8) + (auth == null ? "" : " " + auth));
                byte[] body = "{\"threadId\":\"t1\"}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("content-type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        fakeApi.start();
        console = ConsoleServer.start(new ConsoleServer.Config(apiUri(), URI.create("http://127.0.0.1:9"), "us-east-1", 0, STATE_MACHINE));
    }

    @AfterEach
    void stop() {
        console.close();
        fakeApi.stop(0);
    }

    private URI apiUri() {
        return URI.create("http://127.0.0.1:" + fakeApi.getAddress().getPort());
    }

    /** A call as the console's pages make it: the launch's token, a JSON body. */
    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return send(bare(method, path, body).header("content-type", "application/json")
                .header(ConsoleServer.TOKEN_HEADER, console.token()));
    }

    private HttpRequest.Builder bare(String method, String path, String body) {
        return HttpRequest.newBuilder(console.uri().resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request written on the socket, for the Host header the JDK client sets itself: the whole answer. */
    private String raw(String method, String path, String host) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), console.uri().getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                    + ConsoleServer.TOKEN_HEADER + ": " + console.token() + "\r\ncontent-type: application/json\r\n"
                    + "content-length: 0\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void assertRefused(int status, String code, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"code\":\"" + code + "\""), response.body());
    }

    @Test
    void forwardsTheConsoleRoutesWithTheirQueryAndBody() throws Exception {
        HttpResponse<String> thread = send("GET", "/api/threads/t1", null);
        assertEquals(200, thread.statusCode());
        assertEquals("{\"threadId\":\"t1\"}", thread.body());
        assertEquals(200, send("GET", "/api/threads/t1/runs?limit=100&nextToken=abc", null).statusCode());
        assertEquals(200, send("POST", "/api/threads/t1/cancel", "{\"include\":\"queued\"}").statusCode());
        assertEquals(200, send("GET", "/api/threads?limit=20", null).statusCode());
        assertEquals(List.of("GET /threads/t1 ", "GET /threads/t1/runs?limit=100&nextToken=abc ",
                "POST /threads/t1/cancel {\"include\":\"queued\"}", "GET /threads?limit=20 "), received);
    }

    @Test
    void refusesBadIdsAndOtherRoutesBeforeSendingAnything() throws Exception {
        HttpResponse<String> badId = send("GET", "/api/runs/..%2F..%2Fdaemons/events", null);
        assertEquals(400, badId.statusCode(), badId.body());
        assertTrue(badId.body().contains("\"code\":\"InvalidId\""), badId.body());
        assertEquals(400, send("POST", "/api/threads/-x/pause", null).statusCode());
        assertEquals(404, send("POST", "/api/daemons", "{\"daemonId\":\"d1\"}").statusCode());
        assertEquals(405, send("POST", "/api/threads/t1/runs", "{}").statusCode(), "starting a run is not a console call");
        assertEquals(405, send("DELETE", "/api/runs/r1", null).statusCode());
        assertEquals(List.of(), received, "nothing reached the API");
    }

    @Test
    void startingARunIsNotAConsoleCall() {
        assertEquals(405, ApiProxy.refusal("POST", "/threads/t1/runs").status());
        assertNull(ApiProxy.refusal("GET", "/threads/t1/runs"));
    }

    @Test
    void staticFilesNeverLeaveTheApp() throws Exception {
        assertEquals(404, send("GET", "/../pom.xml", null).statusCode());
        assertEquals(404, send("GET", "/assets/%2e%2e/x", null).statusCode());
        HttpResponse<String> config = send("GET", "/config.json", null);
        assertTrue(config.body().contains("\"local\":true"), config.body());
    }

    @Test
    void refusesAnExecutionArnThatIsNotOne() throws Exception {
        HttpResponse<String> bad = send("GET", "/sfn/execution?executionArn=arn:aws:s3:::bucket", null);
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("InvalidExecutionArn"), bad.body());
    }

    @Test
    void refusesAnotherOriginsCalls() throws Exception {
        int port = console.uri().getPort();
        for (String origin : List.of("https://evil.example", "http://127.0.0.1:" + (port == 65535 ? 1 : port + 1), "null")) {
            assertRefused(403, "ForbiddenOrigin", send(bare("POST", "/api/threads/victim/pause", null).header("origin", origin)
                    .header("content-type", "application/json").header(ConsoleServer.TOKEN_HEADER, console.token())));
        }
        assertRefused(403, "ForbiddenOrigin", send(bare("GET", "/", null).header("origin", "https://evil.example")));
        // a CORS preflight: refused, and never with Access-Control-Allow-*
        HttpResponse<String> preflight = send(bare("OPTIONS", "/api/threads/victim/pause", null).header("origin", "https://evil.example")
                .header("access-control-request-method", "POST").header("access-control-request-headers", "x-runlane-token"));
        assertRefused(403, "ForbiddenOrigin", preflight);
        assertTrue(preflight.headers().map().keySet().stream().noneMatch(h -> h.toLowerCase().startsWith("access-control-")),
                preflight.headers().map().toString());
        assertEquals(List.of(), received, "nothing reached the API");
        // the console's own origin, under either of its names
        for (String own : List.of("http://127.0.0.1:" + port, "http://localhost:" + port)) {
            assertEquals(200, send(bare("POST", "/api/threads/t1/pause", null).header("origin", own)
                    .header("content-type", "application/json; charset=utf-8").header(ConsoleServer.TOKEN_HEADER, console.token())).statusCode());
        }
    }

    @Test
    void refusesPostsThatAreNotJson() throws Exception {
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
            assertRefused(415, "UnsupportedMediaType", send(bare("POST", "/api/threads/victim/cancel", "include=all")
                    .header("content-type", type).header(ConsoleServer.TOKEN_HEADER, console.token())));
        }
        assertRefused(415, "UnsupportedMediaType", send(bare("POST", "/api/runs/r1/rerun", null).header(ConsoleServer.TOKEN_HEADER, console.token())));
        assertEquals(List.of(), received, "nothing reached the API");
    }

    @Test
    void refusesCallsWithoutTheLaunchsToken() throws Exception {
        assertRefused(403, "InvalidToken", send(bare("POST", "/api/threads/victim/pause", null).header("content-type", "application/json")));
        assertRefused(403, "InvalidToken", send(bare("POST", "/api/runs/r1/rerun", "{}").header("content-type", "application/json")
                .header(ConsoleServer.TOKEN_HEADER, "0".repeat(64))));
        assertRefused(403, "InvalidToken", send(bare("GET", "/api/runs/r1", null)));
        assertRefused(403, "InvalidToken", send(bare("GET", "/sfn/execution?executionArn=x", null).header(ConsoleServer.TOKEN_HEADER, "")));
        assertEquals(List.of(), received, "nothing reached the API");
        // the static files need none; index.html is what carries it
        assertEquals(200, send(bare("GET", "/config.json", null)).statusCode());
        assertTrue(console.token().matches("[0-9a-f]{64}"), console.token());
        String page = new String(ConsoleServer.withToken("<html><head><title>t</title></head></html>".getBytes(StandardCharsets.UTF_8),
                console.token()), StandardCharsets.UTF_8);
        assertTrue(page.contains("<meta name=\"runlane-token\" content=\"" + console.token() + "\" />"), page);
    }

    @Test
    void refusesAnotherHostName() throws Exception {
        int port = console.uri().getPort();
        for (String path : List.of("/api/runs/r1", "/", "/config.json")) {
            String answer = raw("GET", path, "evil.example:" + port);
            assertTrue(answer.startsWith("HTTP/1.1 403") && answer.contains("\"code\":\"ForbiddenHost\""), answer);
        }
        assertTrue(raw("POST", "/api/threads/victim/pause", "evil.example:" + port).startsWith("HTTP/1.1 403"));
        assertTrue(raw("GET", "/api/runs/r1", "127.0.0.1:" + (port == 65535 ? 1 : port + 1)).startsWith("HTTP/1.1 403"));
        assertEquals(List.of(), received, "nothing reached the API");
        String own = raw("GET", "/api/runs/r1", "localhost:" + port);
        assertTrue(own.startsWith("HTTP/1.1 200"), own);
    }

    @Test
    void readsOnlyTheStacksOwnExecutions() throws Exception {
        for (String foreign : List.of("arn:aws:states:us-east-1:123456789012:execution:other-machine:run-1",
                "arn:aws:states:us-east-1:123456789012:execution:runlane-RunStateMachineX:run-1",
                "arn:aws:states:eu-west-1:123456789012:execution:runlane-RunStateMachine:run-1",
                "arn:aws:states:us-east-1:210987654321:execution:runlane-RunStateMachine:run-1",
                "arn:aws:states:us-east-1:123456789012:execution:runlane-RunStateMachine:-run")) {
            assertRefused(403, "ForeignExecution", send("GET", "/sfn/execution?executionArn=" + foreign, null));
        }
        ExecutionGraph graph = new ExecutionGraph(null, true, STATE_MACHINE);
        assertTrue(graph.ofThisStack("arn:aws:states:us-east-1:123456789012:execution:runlane-RunStateMachine:run-01JDQ8Z6X4R2M7Y9K3T5V8W1AB"));
        assertFalse(new ExecutionGraph(null, true, null).ofThisStack("arn:aws:states:us-east-1:123456789012:execution:runlane-RunStateMachine:r1"));
        assertThrows(IllegalArgumentException.class,
                () -> new ConsoleServer.Config(apiUri(), null, "us-east-1", 0, "arn:aws:states:us-east-1:123456789012:execution:m:r1"));
    }

    @Test
    void signsForADeployedStackWithTheSdksSigner() throws Exception {
        ApiProxy signed = new ApiProxy(apiUri(), StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret")), "eu-west-1");
        assertEquals(200, signed.forward("POST", "/runs/r1/cancel", null, "application/json", new byte[0]).status());
        String request = received.getFirst();
        assertTrue(request.startsWith("POST /runs/r1/cancel  AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), request);
        assertTrue(request.contains("/eu-west-1/execute-api/aws4_request"), request);
    }

    @Test
    void linksToTheAwsConsoleInTheExecutionsRegion() {
        String arn = "arn:aws:states:eu-west-1:123456789012:execution:runlane-RunStateMachine:run-01";
        assertEquals("https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/" + arn,
                ExecutionGraph.consoleUrl(arn));
        assertTrue(ExecutionGraph.EXECUTION_ARN.matcher(arn).matches());
    }
}
