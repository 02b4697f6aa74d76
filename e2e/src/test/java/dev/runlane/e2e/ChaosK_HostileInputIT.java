package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Chaos k. Hostile input, end to end: what runlane cannot keep exactly is refused with a 400 and a
 * reason, what it accepts is stored and returned exactly, the HTTP front answers malformed requests
 * with API Gateway's JSON shape, and nothing answers 5xx. The largest accepted input echoes back
 * intact; an output above the limit fails its run with OutputTooLarge and the thread moves on.
 */
class ChaosK_HostileInputIT extends Scenario {
    private static final String JSON = "application/json";

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"target\":\"hosted\",\"input\":{\"n\":1e999}}             | InvalidNumber",
            "{\"target\":\"hosted\",\"input\":{\"n\":-1e999}}            | InvalidNumber",
            "{\"target\":\"hosted\",\"input\":{\"n\":1e-999}}            | InvalidNumber",
            "{\"target\":\"hosted\",\"input\":{\"s\":\"\\ud800\"}}        | InvalidUnicode",
            "{\"target\":\"hosted\",\"input\":{\"s\":[\"x\\udfff\"]}}     | InvalidUnicode",
            "{\"target\":\"hosted\",\"input\":{\"a\":1,\"a\":2}}          | InvalidJson",
            "{\"target\":\"hosted\",\"input\":{}} {}                     | InvalidJson"})
    void inputsRunlaneCannotKeepExactlyAreRefused(String body, String code) {
        String thread = Ids.thread("ck");
        Api.Response refused = api.post("/threads/" + thread + "/runs", JSON, body.getBytes(StandardCharsets.UTF_8));
        assertEquals(400, refused.status(), refused.toString());
        assertEquals(code, refused.errorCode(), refused.toString());
        assertEquals(List.of(), api.threadRuns(thread), "nothing stored");
    }

    @Test
    void invalidUtf8AndHostileHeadersAreRefusedNot500() throws Exception {
        String runs = "/threads/" + Ids.thread("ck") + "/runs";
        byte[] invalidUtf8 = "{\"target\":\"hosted\",\"input\":{\"s\":\"\u0000\"}}".getBytes(StandardCharsets.UTF_8);
        invalidUtf8[invalidUtf8.length - 4] = (byte) 0xC3; // 0xC3 then '"': not UTF-8
        Api.Response garbled = api.post(runs, JSON, invalidUtf8);
        assertEquals(400, garbled.status(), garbled.toString());
        for (String key : List.of("caf\u00e9", "tab\tkey", "x".repeat(200))) {
            Response raw = raw(api.base(), "POST " + runs + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Idempotency-Key: " + key + "\r\nContent-Length: 30\r\nConnection: close\r\n\r\n", "{\"target\":\"hosted\",\"input\":{}}");
            assertEquals(400, raw.status(), "Idempotency-Key '" + key + "': " + raw);
            assertEquals("InvalidIdempotencyKey", Api.JSON.readTree(raw.body()).path("error").path("code").asText(), raw.toString());
        }
    }

    /** The local front's answers to malformed requests: a 4xx with API Gateway's {"message":…}, at once. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "bad percent-encoding     | GET /runs/%zz HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n",
            "lone percent             | GET /runs/% HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n",
            "encoded invalid UTF-8    | GET /runs/%C3%28 HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n",
            "chunked, identity        | POST /threads/t/runs HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked, identity\\r\\nConnection: close\\r\\n\\r\\n0\\r\\n\\r\\n",
            "huge Content-Length      | POST /threads/t/runs HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: 100000000000\\r\\nConnection: close\\r\\n\\r\\n{}",
            "negative Content-Length  | POST /threads/t/runs HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: -5\\r\\nConnection: close\\r\\n\\r\\n",
            "two Content-Lengths      | POST /threads/t/runs HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2\\r\\nContent-Length: 3\\r\\nConnection: close\\r\\n\\r\\n{}"})
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void theHttpFrontAnswersMalformedRequestsWithJson(String name, String request) throws Exception {
        Response answer = raw(api.base(), request.replace("\\r\\n", "\r\n"), "");
        assertTrue(answer.status() >= 400 && answer.status() < 500, name + ": " + answer);
        JsonNode body = Api.JSON.readTree(answer.body());
        assertTrue(body.path("message").isTextual() || body.path("error").path("code").isTextual(), name + ": " + answer);
        assertFalse(answer.body().contains("<html") || answer.body().contains("Exception") || answer.body().contains("java."),
                name + ": " + answer);
    }

    /**
     * Issue 18, item 2, end to end: the review started a run with an input 998 deep, as deep as the API's JSON
     * reader took, and every frames answer carrying it was past Jackson's write limit. Past 64 levels an input
     * is now a 400 with a reason, nothing stored; at 64 it runs and echoes back intact.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anInputNestedPastTheLimitIsRefusedAndOneAtTheLimitEchoesBack() throws Exception {
        String thread = Ids.thread("ck");
        for (int depth : new int[] {998, 65}) {
            Api.Response refused = api.post("/threads/" + thread + "/runs", JSON,
                    ("{\"target\":\"hosted\",\"input\":" + nested(depth) + "}").getBytes(StandardCharsets.UTF_8));
            assertEquals(400, refused.status(), depth + " deep: " + refused);
            assertEquals("NestingTooDeep", refused.errorCode(), refused.toString());
        }
        assertEquals(List.of(), api.threadRuns(thread), "nothing stored");
        String atTheLimit = nested(64);
        Api.Response started = api.post("/threads/" + thread + "/runs", JSON,
                ("{\"target\":\"hosted\",\"input\":" + atTheLimit + "}").getBytes(StandardCharsets.UTF_8));
        assertEquals(202, started.status(), started.toString());
        JsonNode run = api.awaitTerminal(started.body().path("runId").asText(), Duration.ofSeconds(90));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.path("error").toString());
        assertEquals(Api.JSON.readTree(atTheLimit), run.path("output"), "echoed intact");
    }

    /** An object {"agent":"echo","a":{"a":…}} nested {@code depth} deep. */
    private static String nested(int depth) {
        return "{\"agent\":\"echo\",\"a\":" + "{\"a\":".repeat(depth - 2) + "{}" + "}".repeat(depth - 2) + "}";
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theLargestAcceptedInputEchoesBackIntactWithItsExactNumbers() {
        String prefix = "{\"target\":\"hosted\",\"input\":{\"agent\":\"echo\",\"big\":123456789012345678901234567890,"
                + "\"tenth\":0.1000000000000000055511151231257827,\"text\":\"";
        String suffix = "\"}}";
        int limit = 261_120;
        String body = prefix + "\u00e9".repeat((limit - prefix.length() - suffix.length()) / 2) + suffix;
        assertTrue(body.getBytes(StandardCharsets.UTF_8).length > limit - 2, "at the limit");
        String thread = Ids.thread("ck");
        Api.Response started = api.post("/threads/" + thread + "/runs", JSON, body.getBytes(StandardCharsets.UTF_8));
        assertEquals(202, started.status(), started.raw().substring(0, Math.min(300, started.raw().length())));
        String runId = started.body().path("runId").asText();
        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(90));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.path("error").toString());
        assertEquals(run.path("input"), run.path("output"), "echo's output is its input, intact");
        String raw = api.get("/runs/" + runId).raw();
        assertEquals(2, raw.split("0\\.1000000000000000055511151231257827", -1).length - 1, "never rounded (input and output)");
        assertEquals(2, raw.split("123456789012345678901234567890", -1).length - 1, "never rounded (input and output)");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anOutputAboveTheLimitFailsItsRunWithOutputTooLargeAndTheThreadMovesOn() {
        String thread = Ids.thread("ck");
        JsonNode input = Api.JSON.createObjectNode().put("agent", "simulated").put("durationMs", 100).put("outputBytes", 300_000);
        String big = api.startRun(thread, Api.hosted(input)).path("runId").asText();
        String next = api.startRun(thread, Api.echo("after the big output")).path("runId").asText();
        JsonNode failed = api.awaitTerminal(big, Duration.ofSeconds(90));
        assertEquals("FAILED", failed.path("status").asText(), failed.toString());
        assertEquals("OutputTooLarge", failed.path("error").path("code").asText(), failed.toString());
        assertEquals(1, failed.path("attempts").asInt(), "not retried: another attempt would repeat it: " + failed);
        assertTrue(failed.path("output").isNull(), failed.toString());
        var execution = Poll.until(Duration.ofSeconds(30), "the execution of " + big + " ends",
                () -> stack.sfn().describeExecution(r -> r.executionArn(failed.path("executionArn").asText())),
                e -> e.status() != software.amazon.awssdk.services.sfn.model.ExecutionStatus.RUNNING);
        assertEquals("RunFailed", execution.error(), "the execution ends with the error the run records, never States.*");
        assertTrue(execution.cause().startsWith("OutputTooLarge: "), execution.cause());
        assertEquals("SUCCEEDED", api.awaitTerminal(next, Duration.ofSeconds(60)).path("status").asText());
    }

    record Response(int status, String head, String body) {
    }

    private static String unchunked(String chunked) {
        StringBuilder body = new StringBuilder();
        int at = 0;
        while (true) {
            int end = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, end).split(";")[0].trim(), 16);
            if (size == 0) {
                return body.toString();
            }
            body.append(chunked, end + 2, end + 2 + size);
            at = end + 2 + size + 2;
        }
    }

    /** One request written byte for byte (HttpClient refuses to send malformed ones); reads until close. */
    static Response raw(URI base, String head, String body) {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            in.transferTo(answer);
            String text = answer.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            String responseHead = split < 0 ? text : text.substring(0, split);
            String responseBody = split < 0 ? "" : text.substring(split + 4);
            if (responseHead.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
                responseBody = unchunked(responseBody);
            }
            int status = Integer.parseInt(responseHead.split(" ", 3)[1]);
            return new Response(status, responseHead, responseBody);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
