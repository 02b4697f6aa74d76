package dev.runlane.localcloud.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runlane.localcloud.FunctionInvoker;
import dev.runlane.localcloud.template.Stack;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpApiEventTest {
    private final Routes routes = new Routes(List.of(
            new Stack.Route("POST", "/threads/{threadId}/runs", "api", "StartRun"),
            new Stack.Route("GET", "/runs/{runId}", "api", "GetRun"),
            new Stack.Route("GET", "/runs/latest", "api", "Latest"),
            new Stack.Route("ANY", "/files/{path+}", "files", "Files")));

    @Test
    void buildsAPayloadFormat2Event() {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of("application/json"));
        headers.put("X-Multi", List.of("a", "b"));
        headers.put("Cookie", List.of("c1=v1; c2=v2"));
        headers.put("Host", List.of("127.0.0.1:3000"));
        headers.put("User-Agent", List.of("curl/8"));
        var request = new HttpApiEvent.Request("POST", "/threads/t%201/runs", "a=1&a=2&b=x%20y", headers,
                "{\"x\":1}".getBytes(StandardCharsets.UTF_8), "127.0.0.1", "HTTP/1.1");
        Routes.Match match = routes.match("POST", "/threads/t%201/runs").orElseThrow();
        JsonNode event = HttpApiEvent.build(request, match, "local", "req-1", Instant.ofEpochMilli(1_700_000_000_000L));

        assertEquals("2.0", event.get("version").asText());
        assertEquals("POST /threads/{threadId}/runs", event.get("routeKey").asText());
        assertEquals("/threads/t%201/runs", event.get("rawPath").asText());
        assertEquals("a=1&a=2&b=x%20y", event.get("rawQueryString").asText());
        assertEquals("c1=v1", event.at("/cookies/0").asText());
        assertEquals("c2=v2", event.at("/cookies/1").asText());
        assertFalse(event.get("headers").has("cookie"));
        assertEquals("a,b", event.at("/headers/x-multi").asText());
        assertEquals("application/json", event.at("/headers/content-type").asText());
        assertEquals("1,2", event.at("/queryStringParameters/a").asText());
        assertEquals("x y", event.at("/queryStringParameters/b").asText());
        assertEquals("t 1", event.at("/pathParameters/threadId").asText());
        assertEquals("{\"x\":1}", event.get("body").asText());
        assertFalse(event.get("isBase64Encoded").asBoolean());

        JsonNode context = event.get("requestContext");
        assertEquals("123456789012", context.get("accountId").asText());
        assertEquals("local", context.get("apiId").asText());
        assertEquals("127.0.0.1:3000", context.get("domainName").asText());
        assertEquals("POST", context.at("/http/method").asText());
        assertEquals("/threads/t%201/runs", context.at("/http/path").asText());
        assertEquals("HTTP/1.1", context.at("/http/protocol").asText());
        assertEquals("127.0.0.1", context.at("/http/sourceIp").asText());
        assertEquals("curl/8", context.at("/http/userAgent").asText());
        assertEquals("req-1", context.get("requestId").asText());
        assertEquals("$default", context.get("stage").asText());
        assertEquals("14/Nov/2023:22:13:20 +0000", context.get("time").asText());
        assertEquals(1_700_000_000_000L, context.get("timeEpoch").asLong());
    }

    @Test
    void binaryBodiesAreBase64Encoded() {
        var request = new HttpApiEvent.Request("GET", "/runs/r1", null, Map.of("content-type", List.of("application/octet-stream")),
                new byte[] {1, 2, 3}, "127.0.0.1", "HTTP/1.1");
        JsonNode event = HttpApiEvent.build(request, routes.match("GET", "/runs/r1").orElseThrow(), "local", "r", Instant.now());
        assertTrue(event.get("isBase64Encoded").asBoolean());
        assertEquals("AQID", event.get("body").asText());
        assertFalse(event.has("queryStringParameters"));
        assertEquals("", event.get("rawQueryString").asText());
    }

    @Test
    void selectsTheMostSpecificRoute() {
        assertEquals("Latest", routes.match("GET", "/runs/latest").orElseThrow().route().eventName());
        assertEquals("GetRun", routes.match("GET", "/runs/r-1").orElseThrow().route().eventName());
        assertEquals("a/b/c", routes.match("DELETE", "/files/a/b/c").orElseThrow().pathParameters().get("path"));
        assertTrue(routes.match("GET", "/threads/t1/runs").isEmpty());
        assertTrue(routes.match("POST", "/threads/t1/runs/x").isEmpty());
    }

    @Test
    void mapsResponsesAsApiGatewayDoes() {
        HttpApiResponse structured = HttpApiResponse.from(new FunctionInvoker.Result(null,
                "{\"statusCode\":202,\"headers\":{\"content-type\":\"application/json\"},\"cookies\":[\"a=1\"],\"body\":\"{\\\"ok\\\":true}\"}"
                        .getBytes(StandardCharsets.UTF_8)));
        assertEquals(202, structured.status());
        assertEquals(List.of("a=1"), structured.headers().get("set-cookie"));
        assertEquals("{\"ok\":true}", new String(structured.body(), StandardCharsets.UTF_8));

        HttpApiResponse base64 = HttpApiResponse.from(new FunctionInvoker.Result(null,
                "{\"statusCode\":200,\"body\":\"AQID\",\"isBase64Encoded\":true}".getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals(new byte[] {1, 2, 3}, base64.body());

        byte[] plain = "{\"runId\":\"r1\"}".getBytes(StandardCharsets.UTF_8);
        HttpApiResponse implicit = HttpApiResponse.from(new FunctionInvoker.Result(null, plain));
        assertEquals(200, implicit.status());
        assertEquals(List.of("application/json"), implicit.headers().get("content-type"));
        assertArrayEquals(plain, implicit.body());

        HttpApiResponse failed = HttpApiResponse.from(new FunctionInvoker.Result("Unhandled", "{}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(500, failed.status());
        assertEquals("{\"message\":\"Internal Server Error\"}", new String(failed.body(), StandardCharsets.UTF_8));
    }
}
