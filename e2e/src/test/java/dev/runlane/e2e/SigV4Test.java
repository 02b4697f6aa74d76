package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;

/**
 * The e2e client's SigV4 signing, against a JDK HttpServer that records what arrives: the signature is
 * the SDK signer's over the request as it was sent (host, path, query, headers and body as received),
 * not a hand-written one. Checked by signing what the server received again with the SDK's
 * {@link AwsV4HttpSigner} and the same clock: the same Authorization header.
 */
class SigV4Test {
    private static final String REGION = "eu-west-3";
    private static final AwsCredentials CREDENTIALS =
            AwsBasicCredentials.create("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})");

    /** What the server received. */
    record Received(String method, String rawPathAndQuery, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? null : String.join(",", values);
        }
    }

    private HttpServer server;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private URI base;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()), headers, body));
            byte[] answer = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private Api signed(AwsCredentials credentials) {
        return new Api(base, new SigV4(StaticCredentialsProvider.create(credentials), REGION, CLOCK));
    }

    private Received next() throws InterruptedException {
        Received request = received.poll(10, TimeUnit.SECONDS);
        assertTrue(request != null, "the server received no request");
        return request;
    }

    @Test
    void aPostWithABodyIsSignedForExecuteApiOverTheBytesSent() throws Exception {
        Api api = signed(CREDENTIALS);
        Api.Response response = api.start("t-1", Api.echo("héllo, ünïcode"), "key-1");
        assertEquals(200, response.status(), response.toString());
        Received request = next();

        Matcher authorization = authorization(request);
        assertEquals("AKIDEXAMPLE", authorization.group(1));
        assertEquals("20260102", authorization.group(2));
        assertEquals(REGION, authorization.group(3), "credential scope region");
        assertEquals("execute-api", authorization.group(4), "credential scope service");
        List<String> signedHeaders = Arrays.asList(authorization.group(5).split(";"));
        assertTrue(signedHeaders.containsAll(List.of("host", "x-amz-date", "content-type", "idempotency-key")), signedHeaders.toString());
        assertEquals("20260102T030405Z", request.header("x-amz-date"));
        assertEquals(request.header("host"), "127.0.0.1:" + server.getAddress().getPort(), "the Host the client sent, as signed");
        assertArrayEquals(Api.echo("héllo, ünïcode").toString().getBytes(StandardCharsets.UTF_8), request.body(), "the body as sent");

        // The payload hash: the SDK's signer (2.57) puts it in the canonical request and also sends it, signed,
        // as x-amz-content-sha256, for execute-api too; it is the SHA-256 of the bytes sent.
        assertEquals(sha256(request.body()), request.header("x-amz-content-sha256"));
        assertTrue(signedHeaders.contains("x-amz-content-sha256"), signedHeaders.toString());
        assertEquals(request.header("authorization"), resign(request, request.body(), CREDENTIALS),
                "the SDK signer, given what the server received, computes the same signature");
        byte[] tampered = Arrays.copyOf(request.body(), request.body().length);
        tampered[tampered.length - 2] ^= 1;
        assertNotEquals(request.header("authorization"), resign(request, tampered, CREDENTIALS),
                "the signature covers the body: another body, another signature");
    }

    @Test
    void aGetWithAQueryIsSignedWithTheEmptyPayloadHash() throws Exception {
        Api api = signed(CREDENTIALS);
        String token = "eyJrIjoiYSJ9+/=";
        Api.Response response = api.get("/threads/t-1/runs?limit=100&nextToken=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
        assertEquals(200, response.status(), response.toString());
        Received request = next();

        assertEquals("GET", request.method());
        Matcher authorization = authorization(request);
        assertEquals(REGION + "/execute-api", authorization.group(3) + "/" + authorization.group(4));
        assertEquals(0, request.body().length);
        assertEquals(sha256(new byte[0]), request.header("x-amz-content-sha256"), "the hash of the empty payload");
        assertEquals(request.header("authorization"), resign(request, new byte[0], CREDENTIALS));
    }

    @Test
    void sessionCredentialsSendAndSignTheirToken() throws Exception {
        AwsSessionCredentials session = AwsSessionCredentials.create("ASIAEXAMPLE", "secret/EXAMPLE", "session-token-EXAMPLE");
        signed(session).cancel("run-1");
        Received request = next();

        assertEquals("session-token-EXAMPLE", request.header("x-amz-security-token"));
        Matcher authorization = authorization(request);
        assertEquals("ASIAEXAMPLE", authorization.group(1));
        assertTrue(Arrays.asList(authorization.group(5).split(";")).contains("x-amz-security-token"), authorization.group(5));
        assertEquals(request.header("authorization"), resign(request, request.body(), session));
    }

    @Test
    void aRequestWithItsOwnCredentialIsNotSigned() throws Exception {
        // Daemon routes authenticate with the daemon's bearer credential (Authorizer NONE), not IAM.
        signed(CREDENTIALS).frames("laptop-1", "rld.EXAMPLE", 0);
        Received request = next();

        assertEquals("Bearer rld.EXAMPLE", request.header("authorization"));
        assertEquals(null, request.header("x-amz-date"));
    }

    @Test
    void withoutASignerNothingIsSigned() throws Exception {
        // The local cloud's API front checks no signature: local runs stay unsigned.
        Api api = new Api(base);
        assertTrue(!api.signs());
        api.start("t-1", Api.echo("unsigned"), null);
        Received request = next();

        assertEquals(null, request.header("authorization"));
        assertEquals(null, request.header("x-amz-date"));
    }

    @Test
    void theRegionOfAnExecuteApiUrl() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("AWS_REGION") == null, "AWS_REGION is set: it wins");
        assertEquals("eu-central-1", SigV4.region(URI.create("https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com")));
        assertEquals("us-east-1", SigV4.region(URI.create("http://127.0.0.1:3000")));
    }

    private static Matcher authorization(Received request) {
        String header = request.header("authorization");
        assertTrue(header != null, "no Authorization header: " + request.headers());
        Matcher matcher = AUTHORIZATION.matcher(header);
        assertTrue(matcher.matches(), "Authorization: " + header);
        return matcher;
    }

    /**
     * The Authorization the SDK's signer computes for the request as the server received it (its Host,
     * raw path and query, the headers named in SignedHeaders) with {@code body}, at the same instant.
     */
    private static String resign(Received request, byte[] body, AwsCredentials credentials) {
        List<String> signedHeaders = Arrays.asList(authorization(request).group(5).split(";"));
        SdkHttpRequest.Builder unsigned = SdkHttpRequest.builder()
                .uri(URI.create("http://" + request.header("host") + request.rawPathAndQuery()))
                .method(SdkHttpMethod.fromValue(request.method()));
        for (String name : signedHeaders) {
            // The signer adds these itself (from the URI, its clock, the payload and the credentials).
            if (!List.of("host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token").contains(name)) {
                request.headers().get(name).forEach(value -> unsigned.appendHeader(name, value));
            }
        }
        return AwsV4HttpSigner.create().sign(r -> r.identity(credentials)
                        .request(unsigned.build())
                        .payload(ContentStreamProvider.fromByteArray(body))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "execute-api")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, REGION)
                        .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, CLOCK))
                .request().firstMatchingHeader("Authorization").orElseThrow();
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
