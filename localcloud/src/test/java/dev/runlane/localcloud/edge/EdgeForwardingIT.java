package dev.runlane.localcloud.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.runlane.localcloud.Await;
import dev.runlane.localcloud.Repo;
import dev.runlane.localcloud.lambda.LambdaService;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageResponse;

/**
 * The edge's forwarding to moto: what goes to moto and what comes back, against a recording stand-in for moto, and
 * SigV4-signed calls, chunked bodies and long polls against a real moto that checks signatures.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EdgeForwardingIT {
    private static final String BODY = "Action=Probe&Text=" + "caf%C3%A9+".repeat(2000);

    @TempDir
    static Path dir;
    static LambdaService lambdas;
    /** Records what reaches it and answers with a chunked body */
    static HttpServer recorder;
    static final Map<String, Recorded> recorded = new ConcurrentHashMap<>();
    static Edge toRecorder;
    static Process moto;
    static int motoPort;
    static Edge toMoto;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    record Recorded(String method, String target, Map<String, List<String>> headers, byte[] body) {
    }

    @BeforeAll
    static void start() throws Exception {
        lambdas = new LambdaService(dir.resolve("work"), 1);
        recorder = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        recorder.createContext("/", EdgeForwardingIT::record);
        recorder.start();
        toRecorder = new Edge(0, lambdas, URI.create("http://127.0.0.1:" + recorder.getAddress().getPort()));
        toRecorder.start();

        motoPort = freePort();
        toMoto = new Edge(0, lambdas, URI.create("http://127.0.0.1:" + motoPort));
        toMoto.start();
        ProcessBuilder builder = new ProcessBuilder("python3", Repo.root().resolve("tools/moto/runlane_moto.py").toString(),
                "--port", Integer.toString(motoPort)).redirectErrorStream(true).redirectOutput(dir.resolve("moto.log").toFile());
        // moto checks signatures after its first 3 requests: the IAM calls that make the caller's access key
        builder.environment().put("INITIAL_NO_AUTH_ACTION_COUNT", "3");
        moto = builder.start();
        Await.until("moto to listen on " + motoPort, Duration.ofSeconds(30), () -> {
            try (Socket ignored = new Socket("127.0.0.1", motoPort)) {
                return true;
            } catch (IOException e) {
                if (!moto.isAlive()) {
                    throw new AssertionError("moto exited: " + read(dir.resolve("moto.log")));
                }
                return false;
            }
        });
    }

    @AfterAll
    static void stop() {
        if (moto != null) {
            moto.destroyForcibly();
        }
        toRecorder.close();
        toMoto.close();
        recorder.stop(0);
        lambdas.close();
    }

    private static void record(HttpExchange exchange) throws IOException {
        try (exchange) {
            URI uri = exchange.getRequestURI(); // absolute when the forwarder uses the proxy form
            String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            String id = exchange.getRequestHeaders().getFirst("X-Test-Id");
            recorded.put(id, new Recorded(exchange.getRequestMethod(), target, Map.copyOf(exchange.getRequestHeaders()),
                    exchange.getRequestBody().readAllBytes()));
            exchange.getResponseHeaders().add("X-Answer", "one");
            exchange.getResponseHeaders().add("X-Answer", "two");
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(id.startsWith("empty") ? 204 : 207, id.startsWith("empty") ? -1 : 0); // 0: chunked
            if (!id.startsWith("empty")) {
                try (OutputStream out = exchange.getResponseBody()) {
                    for (int i = 0; i < 50; i++) {
                        out.write(("answer " + i + " für " + id + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                }
            }
        }
    }

    @Test
    void aChunkedRequestReachesMotoWholeWithItsHeadersAndTheChunkedAnswerComesBackAsItCame() throws Exception {
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(toRecorder.uri().resolve("/queue/a%2Fb?x=1%202&y"))
                .header("X-Test-Id", "chunked")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-Amz-Date", "20250101T000000Z")
                .header("X-Many", "first").header("X-Many", "second")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))) // no length: chunked
                .build(), HttpResponse.BodyHandlers.ofString());

        Recorded request = recorded.get("chunked");
        assertEquals("POST", request.method());
        assertEquals("/queue/a%2Fb?x=1%202&y", request.target());
        assertEquals(List.of("127.0.0.1:" + toRecorder.uri().getPort()), request.headers().get("Host"), "the client's Host");
        assertEquals(List.of(Integer.toString(body.length)), request.headers().get("Content-length"));
        assertNull(request.headers().get("Transfer-encoding"));
        assertEquals(List.of("20250101T000000Z"), request.headers().get("X-amz-date"));
        assertEquals(List.of("first", "second"), request.headers().get("X-many"));
        assertEquals(BODY, new String(request.body(), StandardCharsets.UTF_8));

        assertEquals(207, response.statusCode());
        assertEquals(List.of("one", "two"), response.headers().allValues("X-Answer"));
        assertEquals("text/plain; charset=utf-8", response.headers().firstValue("Content-Type").orElseThrow());
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            expected.append("answer ").append(i).append(" für chunked\n");
        }
        assertEquals(expected.toString(), response.body());
    }

    @Test
    void anyHostTheClientNamesReachesMotoAsItCameAndBodilessAnswersStayBodiless() throws Exception {
        String host = "sqs.us-east-1.localhost.localstack.cloud:" + toRecorder.uri().getPort();
        String answer;
        try (Socket socket = new Socket("127.0.0.1", toRecorder.uri().getPort())) {
            socket.getOutputStream().write(("GET /?Action=ListQueues HTTP/1.1\r\nHost: " + host
                    + "\r\nX-Test-Id: empty-host\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
        assertTrue(answer.startsWith("HTTP/1.1 204 "), answer);
        assertTrue(answer.endsWith("\r\n\r\n"), "no body: " + answer);
        Recorded request = recorded.get("empty-host");
        assertEquals("GET", request.method());
        assertEquals("/?Action=ListQueues", request.target());
        assertEquals(List.of(host), request.headers().get("Host"));
        assertFalse(request.headers().containsKey("Connection") && request.headers().get("Connection").contains("close"),
                "per-connection headers stay on their hop: " + request.headers());
    }

    @Test
    void signedCallsWorkThroughTheEdgeAndAShortLongPollRunsItsCourse() throws Exception {
        AwsBasicCredentials key = accessKey();
        try (SqsClient sqs = SqsClient.builder().endpointOverride(toMoto.uri()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(key))
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())).build()) {
            String url = sqs.createQueue(b -> b.queueName("forwarding-test")).queueUrl(); // moto checked the signature
            assertTrue(url.contains(":" + toMoto.uri().getPort() + "/"), url);
            sqs.sendMessage(b -> b.queueUrl(url).messageBody("signed"));
            assertEquals("signed", sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(1)).messages().getFirst().body());

            long started = System.nanoTime();
            ReceiveMessageResponse empty = sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(2));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertTrue(empty.messages().isEmpty(), empty.toString());
            assertTrue(took.compareTo(Duration.ofMillis(1900)) >= 0, "the poll waited its 2 s: " + took);
        }
        // moto's own check that it does verify: a wrong secret is refused
        try (SqsClient wrong = SqsClient.builder().endpointOverride(toMoto.uri()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(), "wrong")))
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())).build()) {
            AwsServiceException refused = assertThrows(AwsServiceException.class, wrong::listQueues);
            assertEquals(403, refused.statusCode(), refused.toString());
        }
    }

    /** A user allowed everything and its access key, made with moto's 3 unchecked requests (straight to moto, unsigned). */
    private static AwsBasicCredentials accessKey() throws Exception {
        iam("Action=CreateUser&UserName=forwarder");
        iam("Action=PutUserPolicy&UserName=forwarder&PolicyName=all&PolicyDocument="
                + URLEncoder.encode("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
                StandardCharsets.UTF_8));
        String created = iam("Action=CreateAccessKey&UserName=forwarder");
        return AwsBasicCredentials.create(element(created, "AccessKeyId"), element(created, "SecretAccessKey"));
    }

    private static String iam(String form) throws Exception {
        URI motoUri = URI.create("http://127.0.0.1:" + motoPort + "/");
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(motoUri)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/iam/aws4_request, "
                        + "SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString(form + "&Version=2010-05-08")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    private static String element(String xml, String name) {
        Matcher matcher = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(xml);
        assertTrue(matcher.find(), xml);
        return matcher.group(1);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
