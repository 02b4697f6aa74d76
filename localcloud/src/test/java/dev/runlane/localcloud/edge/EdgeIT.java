package dev.runlane.localcloud.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.Await;
import dev.runlane.localcloud.lambda.FixtureFunction;
import dev.runlane.localcloud.lambda.LambdaService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The edge against a real moto server (started here with the repo's launcher) and real sandboxes. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EdgeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ECHO_ARN = "arn:aws:lambda:us-east-1:123456789012:function:Echo";
    private static final StaticCredentialsProvider CREDENTIALS = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));

    @TempDir
    static Path dir;
    static Process moto;
    static LambdaService lambdas;
    static Edge edge;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path zip = FixtureFunction.build(dir.resolve("fixture"));
        lambdas = new LambdaService(dir.resolve("work"), 2);
        lambdas.register(FixtureFunction.spec(zip, "Echo", 10, Map.of()));
        int motoPort = freePort();
        edge = new Edge(0, lambdas, URI.create("http://127.0.0.1:" + motoPort));
        edge.start();
        Path launcher = repoRoot().resolve("tools/moto/runlane_moto.py");
        ProcessBuilder builder = new ProcessBuilder("python3", launcher.toString(), "--port", Integer.toString(motoPort), "--execute")
                .redirectErrorStream(true).redirectOutput(dir.resolve("moto.log").toFile());
        builder.environment().put("MOTO_PORT", Integer.toString(edge.uri().getPort())); // moto's Lambda calls go to the edge
        moto = builder.start();
        Await.until("moto to listen on " + motoPort, Duration.ofSeconds(30), () -> {
            try (Socket ignored = new Socket("127.0.0.1", motoPort)) {
                return true;
            } catch (IOException e) {
                return !moto.isAlive() && fail("moto exited: " + read(dir.resolve("moto.log")));
            }
        });
    }

    @AfterAll
    static void stop() {
        if (moto != null) {
            moto.destroyForcibly();
        }
        lambdas.close();
        edge.close();
    }

    @Test
    void invokeApiAcceptsAnAliasQualifiedArnAndReturnsLambdasHeaders() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(invocations(ECHO_ARN + ":live"))
                .header("X-Amz-Log-Type", "Tail")
                .POST(HttpRequest.BodyPublishers.ofString("hi")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("hi", JSON.readTree(response.body()).get("echo").asText());
        assertEquals("$LATEST", response.headers().firstValue("X-Amz-Executed-Version").orElseThrow());
        assertFalse(response.headers().firstValue("X-Amz-Function-Error").isPresent());
        String log = new String(Base64.getDecoder().decode(response.headers().firstValue("X-Amz-Log-Result").orElseThrow()), StandardCharsets.UTF_8);
        assertTrue(log.contains("REPORT RequestId: "), log);
    }

    @Test
    void invokeApiReportsFunctionErrorsUnknownFunctionsAndOtherInvocationTypes() throws Exception {
        HttpResponse<String> failed = post(invocations("Echo") + "?Qualifier=live", Map.of(), "fail:bad input");
        assertEquals(200, failed.statusCode());
        assertEquals("Unhandled", failed.headers().firstValue("X-Amz-Function-Error").orElseThrow());
        assertEquals("bad input", JSON.readTree(failed.body()).get("errorMessage").asText());

        HttpResponse<String> missing = post(invocations("Nope").toString(), Map.of(), "{}");
        assertEquals(404, missing.statusCode());
        assertEquals("ResourceNotFoundException", missing.headers().firstValue("x-amzn-ErrorType").orElseThrow());

        assertEquals(202, post(invocations("Echo").toString(), Map.of("X-Amz-Invocation-Type", "Event"), "async").statusCode());
        assertEquals(204, post(invocations("Echo").toString(), Map.of("X-Amz-Invocation-Type", "DryRun"), "").statusCode());
    }

    @Test
    void everythingElseIsForwardedToMoto() {
        try (SqsClient sqs = SqsClient.builder().endpointOverride(edge.uri()).region(Region.US_EAST_1).credentialsProvider(CREDENTIALS).build()) {
            String url = sqs.createQueue(b -> b.queueName("edge-test")).queueUrl();
            assertTrue(url.contains(":" + edge.uri().getPort() + "/"), "moto saw the edge's Host header: " + url);
            assertTrue(sqs.listQueues().queueUrls().contains(url));
            sqs.sendMessage(b -> b.queueUrl(url).messageBody("through the edge"));
            assertEquals("through the edge", sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(1)).messages().getFirst().body());
        }
    }

    @Test
    void motoStepFunctionsInvokeTheAliasThroughTheEdge() throws Exception {
        String definition = """
                {"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
                 "Parameters":{"FunctionName":"%s:live","Payload.$":"$.word"},"OutputPath":"$.Payload",
                 "TimeoutSeconds":30,"End":true}}}""".formatted(ECHO_ARN);
        try (SfnClient sfn = SfnClient.builder().endpointOverride(edge.uri()).region(Region.US_EAST_1).credentialsProvider(CREDENTIALS).build()) {
            String machine = sfn.createStateMachine(b -> b.name("edge-test").definition(definition)
                    .roleArn("arn:aws:iam::123456789012:role/edge-test")).stateMachineArn();
            String execution = sfn.startExecution(b -> b.stateMachineArn(machine).input("{\"word\":\"from-sfn\"}")).executionArn();
            Supplier<DescribeExecutionResponse> describe = () -> sfn.describeExecution(b -> b.executionArn(execution));
            Await.until("the execution to end", Duration.ofSeconds(30), () -> describe.get().status() != ExecutionStatus.RUNNING);
            assertEquals(ExecutionStatus.SUCCEEDED, describe.get().status(), describe.get().toString());
            JsonNode output = JSON.readTree(describe.get().output());
            assertEquals("'from-sfn'", output.get("echo").asText(), "the fixture echoes the JSON string event with its quotes as apostrophes");
        }
    }

    private static URI invocations(String function) {
        return edge.uri().resolve("/2015-03-31/functions/" + java.net.URLEncoder.encode(function, StandardCharsets.UTF_8) + "/invocations");
    }

    private static HttpResponse<String> post(String uri, Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri)).POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean fail(String message) {
        throw new AssertionError(message);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.exists(dir.resolve("tools/moto/runlane_moto.py"))) {
            dir = dir.getParent();
        }
        return dir;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
