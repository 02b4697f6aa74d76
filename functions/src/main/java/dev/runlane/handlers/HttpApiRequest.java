package dev.runlane.handlers;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/** API Gateway HTTP API request, payload format 2.0 (the fields runlane reads). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HttpApiRequest(
        String routeKey,
        Map<String, String> headers,
        Map<String, String> queryStringParameters,
        Map<String, String> pathParameters,
        String body,
        @JsonProperty("isBase64Encoded") boolean isBase64Encoded,
        RequestContext requestContext) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RequestContext(String requestId) {
    }

    String header(String name) {
        return headers == null ? null : headers.get(name);
    }

    String pathParameter(String name) {
        return pathParameters == null ? null : pathParameters.get(name);
    }

    String query(String name) {
        return queryStringParameters == null ? null : queryStringParameters.get(name);
    }

    String requestId() {
        return requestContext == null ? null : requestContext.requestId();
    }
}
