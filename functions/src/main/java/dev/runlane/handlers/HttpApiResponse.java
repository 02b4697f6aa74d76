package dev.runlane.handlers;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/** API Gateway HTTP API response, payload format 2.0. */
public record HttpApiResponse(int statusCode, Map<String, String> headers, String body,
                              @JsonProperty("isBase64Encoded") boolean isBase64Encoded) {

    static HttpApiResponse json(int statusCode, String body, Map<String, String> extraHeaders) {
        Map<String, String> headers = new java.util.HashMap<>(extraHeaders);
        headers.put("content-type", "application/json");
        return new HttpApiResponse(statusCode, Map.copyOf(headers), body, false);
    }
}
