package dev.runlane.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
        console = ConsoleServer.start(new ConsoleServer.Config(apiUri(), URI.create("http://127.0.0.1:9"), "us-east-1", 0));
    }

    @AfterEach
    void stop() {
        console.close();
        fakeApi.stop(0);
    }

    private URI apiUri() {
        return URI.create("http://127.0.0.1:" + fakeApi.getAddress().getPort());
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(console.uri().resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("content-type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
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
