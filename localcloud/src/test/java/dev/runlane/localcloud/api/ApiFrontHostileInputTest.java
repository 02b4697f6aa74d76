package dev.runlane.localcloud.api;

import static dev.runlane.localcloud.api.RawHttp.ascii;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.localcloud.FunctionInvoker;
import dev.runlane.localcloud.template.Stack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed and hostile requests, as raw bytes, get API Gateway's JSON refusals, in bounded time. */
class ApiFrontHostileInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A refusal that needs no waiting: well under the front's read timeout, so one that waited for it fails. */
    private static final Duration AT_ONCE = ApiFront.READ_TIMEOUT.minusSeconds(2);
    /** A refusal that waits for the body to stall: the read timeout and some slack. */
    private static final Duration AFTER_STALL = ApiFront.READ_TIMEOUT.plusSeconds(3);

    /** Longer than the read timeout, which bounds reads and writes, not a function's run. */
    private static final Duration SLOW_FUNCTION = ApiFront.READ_TIMEOUT.plusSeconds(1);
    private static final CountDownLatch NEVER = new CountDownLatch(1);

    private static ApiFront front;
    private static int port;

    /** A function that answers 200 with what the front passed it. */
    private static final FunctionInvoker ECHO = new FunctionInvoker() {
        @Override
        public Result invoke(String function, byte[] payload) {
            try {
                if (function.equals("slow")) {
                    // stands for a long poll: the function runs past the front's read timeout
                    NEVER.await(SLOW_FUNCTION.toMillis(), TimeUnit.MILLISECONDS);
                }
                JsonNode event = JSON.readTree(payload);
                ObjectNode seen = JSON.createObjectNode().put("function", function);
                seen.set("rawPath", event.get("rawPath"));
                seen.set("pathParameters", event.path("pathParameters"));
                seen.set("queryStringParameters", event.path("queryStringParameters"));
                seen.set("body", event.path("body"));
                ObjectNode response = JSON.createObjectNode().put("statusCode", 200).put("body", seen.toString());
                response.putObject("headers").put("content-type", "application/json");
                return new Result(null, JSON.writeValueAsBytes(response));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void invokeAsync(String function, byte[] payload) {}
    };

    @BeforeAll
    static void start() throws IOException {
        front = new ApiFront(List.of(
                new Stack.Route("GET", "/items/{id}", "items", "GetItem"),
                new Stack.Route("POST", "/items", "items", "PostItem"),
                new Stack.Route("GET", "/slow", "slow", "Slow"),
                new Stack.Route("ANY", "/files/{path+}", "files", "Files")), ECHO, line -> {});
        front.start(0);
        port = front.uri().getPort();
    }

    @AfterAll
    static void stop() {
        front.close();
    }

    record Case(String name, byte[] request, int status, Duration within) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case at(String name, int status, String request) {
        return new Case(name, ascii(request), status, AT_ONCE);
    }

    private static Case at(String name, int status, byte[] request) {
        return new Case(name, request, status, AT_ONCE);
    }

    private static final String HOST = "Host: 127.0.0.1\r\n";

    static Stream<Case> hostile() {
        String longPath = "/items/" + "a".repeat(20_000);
        String bigHeader = "X-Big: " + "b".repeat(20_000) + "\r\n";
        return Stream.of(
                // the target
                at("bad escape %zz", 400, "GET /items/%zz HTTP/1.1\r\n" + HOST + "\r\n"),
                at("lone %", 400, "GET /items/abc% HTTP/1.1\r\n" + HOST + "\r\n"),
                at("truncated escape %4", 400, "GET /items/%4 HTTP/1.1\r\n" + HOST + "\r\n"),
                at("escaped NUL %00", 400, "GET /items/a%00b HTTP/1.1\r\n" + HOST + "\r\n"),
                at("escaped control %0A", 400, "GET /items/a%0Ab HTTP/1.1\r\n" + HOST + "\r\n"),
                at("escaped invalid UTF-8 %C3%28", 400, "GET /items/%C3%28 HTTP/1.1\r\n" + HOST + "\r\n"),
                at("escaped overlong UTF-8 %C0%AF", 400, "GET /items/%C0%AF HTTP/1.1\r\n" + HOST + "\r\n"),
                at("escaped surrogate %ED%A0%80", 400, "GET /items/%ED%A0%80 HTTP/1.1\r\n" + HOST + "\r\n"),
                at("bad escape in a greedy path", 400, "GET /files/a/%zz/b HTTP/1.1\r\n" + HOST + "\r\n"),
                at("bad escape on no route", 400, "GET /nowhere/%zz HTTP/1.1\r\n" + HOST + "\r\n"),
                at("bad escape in the query", 400, "GET /items/1?q=%zz HTTP/1.1\r\n" + HOST + "\r\n"),
                at("escaped invalid UTF-8 in the query", 400, "GET /items/1?q=%FF HTTP/1.1\r\n" + HOST + "\r\n"),
                at("overlong path", 400, "GET " + longPath + " HTTP/1.1\r\n" + HOST + "\r\n"),
                at("raw UTF-8 bytes", 400, bytes("GET /items/", new byte[] {(byte) 0xC3, (byte) 0xA9}, " HTTP/1.1\r\n" + HOST + "\r\n")),
                at("raw invalid byte 0xFF", 400, bytes("GET /items/", new byte[] {(byte) 0xFF}, " HTTP/1.1\r\n" + HOST + "\r\n")),
                at("space in the path", 400, "GET /items/a b HTTP/1.1\r\n" + HOST + "\r\n"),
                at("control character in the path", 400, "GET /items/a\u0001b HTTP/1.1\r\n" + HOST + "\r\n"),
                at("DEL in the path", 400, "GET /items/a\u007fb HTTP/1.1\r\n" + HOST + "\r\n"),
                at("quote in the path", 400, "GET /items/a\"b HTTP/1.1\r\n" + HOST + "\r\n"),
                at("backslash in the path", 400, "GET /items/a\\b HTTP/1.1\r\n" + HOST + "\r\n"),
                at("fragment", 400, "GET /items/1#top HTTP/1.1\r\n" + HOST + "\r\n"),
                at("absolute-form for another host", 400, "GET http://example.com/items/1 HTTP/1.1\r\n" + HOST + "\r\n"),
                at("asterisk-form OPTIONS", 400, "OPTIONS * HTTP/1.1\r\n" + HOST + "\r\n"),
                at("asterisk-form GET", 400, "GET * HTTP/1.1\r\n" + HOST + "\r\n"),
                at("relative target", 400, "GET items/1 HTTP/1.1\r\n" + HOST + "\r\n"),
                at("escape above the root", 400, "GET /../items/1 HTTP/1.1\r\n" + HOST + "\r\n"),
                // the request line and headers
                at("unknown HTTP version", 400, "GET /items/1 HTTP/9.9\r\n" + HOST + "\r\n"),
                at("HTTP/0.9", 400, "GET /items/1\r\n\r\n"),
                at("garbage request line", 400, "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003\r\n\r\n"),
                at("bad method token", 400, "G@T /items/1 HTTP/1.1\r\n" + HOST + "\r\n"),
                at("no Host", 400, "GET /items/1 HTTP/1.1\r\n\r\n"),
                at("two Hosts", 400, "GET /items/1 HTTP/1.1\r\n" + HOST + "Host: example.com\r\n\r\n"),
                at("header without a colon", 400, "GET /items/1 HTTP/1.1\r\n" + HOST + "NoColon\r\n\r\n"),
                at("space in a header name", 400, "GET /items/1 HTTP/1.1\r\n" + HOST + "Bad Name: x\r\n\r\n"),
                at("folded header", 400, "GET /items/1 HTTP/1.1\r\n" + HOST + "X-A: a\r\n  folded\r\n\r\n"),
                at("NUL in a header value", 400, "GET /items/1 HTTP/1.1\r\n" + HOST + "X-A: a\u0000b\r\n\r\n"),
                at("headers over the limit", 400, "GET /items/1 HTTP/1.1\r\n" + HOST + bigHeader + "\r\n"),
                // framing
                at("Transfer-Encoding chunked, identity", 400, "POST /items HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
                at("Transfer-Encoding identity", 400, "POST /items HTTP/1.1\r\n" + HOST + "Transfer-Encoding: identity\r\n\r\n"),
                at("Transfer-Encoding gzip, chunked", 400, "POST /items HTTP/1.1\r\n" + HOST + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
                at("Transfer-Encoding twice", 400, "POST /items HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                at("Transfer-Encoding and Content-Length", 400, "POST /items HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
                at("Content-Length and Transfer-Encoding", 400, "POST /items HTTP/1.1\r\n" + HOST + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                at("bad chunk size", 400, "POST /items HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
                at("absurd chunk size", 400, "POST /items HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n"),
                at("negative Content-Length", 400, "POST /items HTTP/1.1\r\n" + HOST + "Content-Length: -1\r\n\r\n"),
                at("non-numeric Content-Length", 400, "POST /items HTTP/1.1\r\n" + HOST + "Content-Length: abc\r\n\r\n"),
                at("Content-Length 1e3", 400, "POST /items HTTP/1.1\r\n" + HOST + "Content-Length: 1e3\r\n\r\n"),
                at("Content-Length list", 400, "POST /items HTTP/1.1\r\n" + HOST + "Content-Length: 3, 4\r\n\r\nabcd"),
                at("two different Content-Lengths", 400, "POST /items HTTP/1.1\r\n" + HOST + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
                at("Content-Length past a long", 400, "POST /items HTTP/1.1\r\n" + HOST + "Content-Length: 99999999999999999999999\r\n\r\n"),
                at("Content-Length 100000000000", 413, "POST /items HTTP/1.1\r\n" + HOST + "Content-Length: 100000000000\r\n\r\n"),
                at("Content-Length one over the limit", 413, "POST /items HTTP/1.1\r\n" + HOST + "Content-Length: " + (ApiFront.MAX_BODY_BYTES + 1) + "\r\n\r\n"),
                at("over the limit, expecting 100-continue", 413, "POST /items HTTP/1.1\r\n" + HOST + "Expect: 100-continue\r\nContent-Length: 100000000000\r\n\r\n"),
                at("unknown expectation", 400, "POST /items HTTP/1.1\r\n" + HOST + "Expect: teapot\r\nContent-Length: 2\r\n\r\n{}"),
                new Case("Content-Length that lies, then a stall", ascii("POST /items HTTP/1.1\r\n" + HOST + "Content-Length: 100\r\n\r\nabc"), 400, AFTER_STALL),
                new Case("chunked body that stalls", ascii("POST /items HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n64\r\nabc"), 400, AFTER_STALL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void refusesInJsonWithinABound(Case hostile) throws IOException {
        try (RawHttp connection = new RawHttp(port)) {
            RawHttp.Answer answer = connection.send(hostile.request()).answer(hostile.within());
            assertEquals(hostile.status(), answer.status(), hostile.name() + ": " + answer);
            assertRefusal(answer);
        }
        assertServesANormalRequest();
    }

    @Test
    void closesAConnectionWhoseBodyStalled() throws IOException {
        try (RawHttp connection = new RawHttp(port)) {
            connection.send(ascii("POST /items HTTP/1.1\r\n" + HOST + "Content-Length: 100\r\n\r\nabc"));
            assertEquals(400, connection.answer(AFTER_STALL).status());
            assertTrue(connection.closedWithin(AT_ONCE), "the connection stays open after the stalled body");
        }
    }

    @Test
    void closesAConnectionWhoseHeadersStalled() throws IOException {
        try (RawHttp connection = new RawHttp(port)) {
            connection.send(ascii("GET /items/1 HTTP/1.1\r\n" + HOST + "X-Slow: partial"));
            assertTrue(connection.closedWithin(ApiFront.IDLE_TIMEOUT.plusSeconds(3)), "the server answered a request never sent");
        }
        assertServesANormalRequest();
    }

    @Test
    void refusesAChunkedBodyOverTheLimit() throws IOException {
        // the front stops reading one byte past the limit, answers, and closes: the rest of the body is never read
        try (RawHttp connection = new RawHttp(port)) {
            connection.send(ascii("POST /items HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n"));
            byte[] chunk = ascii(Integer.toHexString(1024 * 1024) + "\r\n" + "x".repeat(1024 * 1024) + "\r\n");
            for (int sent = 0; sent < ApiFront.MAX_BODY_BYTES; sent += 1024 * 1024) {
                connection.send(chunk);
            }
            connection.send(ascii("1\r\nx")); // one byte over, and no more bytes for the front to leave unread
            RawHttp.Answer answer = connection.answer(AT_ONCE);
            assertEquals(413, answer.status(), answer.toString());
            assertRefusal(answer);
            assertEquals("Request Entity Too Large", JSON.readTree(answer.body()).get("message").asText());
        }
        assertServesANormalRequest();
    }

    @Test
    void servesNormalRequests() throws IOException {
        JsonNode get = served("GET /items/a%20b%2Bc+d?x=1&x=2&y=a+b%21 HTTP/1.1\r\n" + HOST + "\r\n");
        assertEquals("items", get.get("function").asText());
        assertEquals("/items/a%20b%2Bc+d", get.get("rawPath").asText());
        assertEquals("a b+c+d", get.at("/pathParameters/id").asText());
        assertEquals("1,2", get.at("/queryStringParameters/x").asText());
        assertEquals("a b!", get.at("/queryStringParameters/y").asText());

        JsonNode greedy = served("DELETE /files/a%2Fb/%C3%A9 HTTP/1.1\r\n" + HOST + "\r\n");
        assertEquals("a/b/\u00e9", greedy.at("/pathParameters/path").asText());

        JsonNode posted = served("POST /items HTTP/1.1\r\n" + HOST + "Content-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"a\":1}\n");
        assertEquals("{\"a\":1}\n", posted.get("body").asText());

        JsonNode chunked = served("POST /items HTTP/1.1\r\n" + HOST + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        assertEquals("abcde", chunked.get("body").asText());
    }

    @Test
    void servesSeveralRequestsOnOneConnection() throws IOException {
        try (RawHttp connection = new RawHttp(port)) {
            for (int i = 0; i < 3; i++) {
                RawHttp.Answer answer = connection.send(ascii("GET /items/" + i + " HTTP/1.1\r\n" + HOST + "\r\n")).answer(AT_ONCE);
                assertEquals(200, answer.status(), answer.toString());
            }
            RawHttp.Answer missing = connection.send(ascii("GET /nowhere HTTP/1.1\r\n" + HOST + "\r\n")).answer(AT_ONCE);
            assertEquals(404, missing.status());
            assertEquals("Not Found", JSON.readTree(missing.body()).get("message").asText());
        }
    }

    @Test
    void servesManyLongFunctionCallsAtOnce() throws Exception {
        // more calls than Jetty's pool has threads, each longer than the read timeout: none waits for another
        int calls = 24;
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<RawHttp.Answer>> answers = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                answers.add(clients.submit(() -> {
                    try (RawHttp connection = new RawHttp(port)) {
                        return connection.send(ascii("GET /slow HTTP/1.1\r\n" + HOST + "\r\n")).answer(SLOW_FUNCTION.plusSeconds(4));
                    }
                }));
            }
            for (Future<RawHttp.Answer> answer : answers) {
                assertEquals(200, answer.get().status(), answer.get().toString());
            }
        }
    }

    private static JsonNode served(String request) throws IOException {
        try (RawHttp connection = new RawHttp(port)) {
            RawHttp.Answer answer = connection.send(ascii(request)).answer(AT_ONCE);
            assertEquals(200, answer.status(), answer.toString());
            return JSON.readTree(answer.body());
        }
    }

    private static void assertServesANormalRequest() throws IOException {
        assertEquals("1", served("GET /items/1 HTTP/1.1\r\n" + HOST + "\r\n").at("/pathParameters/id").asText());
    }

    private static void assertRefusal(RawHttp.Answer answer) throws IOException {
        assertTrue(answer.status() >= 400 && answer.status() < 500, answer.toString());
        assertTrue(answer.headers().getOrDefault("content-type", "").startsWith("application/json"), answer.toString());
        JsonNode body = JSON.readTree(answer.body());
        assertTrue(body != null && body.path("message").isTextual(), answer.toString());
        for (String leak : List.of("<html", "Exception", "java.")) {
            assertFalse(answer.body().toLowerCase().contains(leak.toLowerCase()), leak + " in " + answer);
        }
    }

    private static byte[] bytes(String before, byte[] raw, String after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii(before));
        out.writeBytes(raw);
        out.writeBytes(ascii(after));
        return out.toByteArray();
    }
}
