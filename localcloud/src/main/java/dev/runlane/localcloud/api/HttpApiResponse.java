package dev.runlane.localcloud.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.FunctionInvoker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An HTTP response, mapped from a function's payload 2.0 result as API Gateway maps it. */
public record HttpApiResponse(int status, Map<String, List<String>> headers, byte[] body) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static HttpApiResponse message(int status, String message) {
        return new HttpApiResponse(status, Map.of("content-type", List.of("application/json")),
                JSON.createObjectNode().put("message", message).toString().getBytes(StandardCharsets.UTF_8));
    }

    public static HttpApiResponse internalServerError() {
        return message(500, "Internal Server Error");
    }

    /** API Gateway's answer to a request it cannot take (and the front's where API Gateway's is not known). */
    public static HttpApiResponse badRequest() {
        return message(400, "Bad Request");
    }

    /** API Gateway's answer to a request past the stage's throttling. */
    public static HttpApiResponse tooManyRequests() {
        return message(429, "Too Many Requests");
    }

    /** API Gateway's answer to a body over its payload limit. */
    public static HttpApiResponse tooLarge() {
        return message(413, "Request Entity Too Large");
    }

    /** This response with Connection: close, for when the rest of the request is not read. */
    public HttpApiResponse closing() {
        Map<String, List<String>> closing = new LinkedHashMap<>(headers);
        closing.put("connection", List.of("close"));
        return new HttpApiResponse(status, Map.copyOf(closing), body);
    }

    public static HttpApiResponse from(FunctionInvoker.Result result) {
        if (result.failed()) {
            return internalServerError();
        }
        JsonNode payload;
        try {
            payload = JSON.readTree(result.payload());
        } catch (IOException e) {
            return internalServerError(); // not JSON: API Gateway reports a malformed Lambda response
        }
        if (payload == null || !payload.isObject() || !payload.has("statusCode")) {
            // Valid JSON without statusCode: the whole payload is a 200 JSON body.
            return new HttpApiResponse(200, Map.of("content-type", List.of("application/json")), result.payload());
        }
        if (!payload.get("statusCode").canConvertToInt()) {
            return internalServerError();
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        payload.path("headers").properties().forEach(h -> headers.put(h.getKey(), List.of(h.getValue().asText())));
        List<String> cookies = new ArrayList<>();
        payload.path("cookies").forEach(c -> cookies.add(c.asText()));
        if (!cookies.isEmpty()) {
            headers.put("set-cookie", cookies);
        }
        byte[] body = new byte[0];
        JsonNode bodyNode = payload.get("body");
        if (bodyNode != null && !bodyNode.isNull()) {
            String text = bodyNode.isTextual() ? bodyNode.asText() : bodyNode.toString();
            body = payload.path("isBase64Encoded").asBoolean(false)
                    ? Base64.getDecoder().decode(text)
                    : text.getBytes(StandardCharsets.UTF_8);
        }
        return new HttpApiResponse(payload.get("statusCode").asInt(), headers, body);
    }
}
