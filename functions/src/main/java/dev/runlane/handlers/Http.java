package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.domain.RefusedException;
import dev.runlane.runs.Json;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import static dev.runlane.domain.RefusedException.Kind.TOO_LARGE;

/** The HTTP side shared by the API handlers: JSON bodies in, JSON and refusals out, never a stack trace. */
final class Http {
    private static final Logger LOG = Logger.getLogger(Http.class.getName());
    private static final ObjectMapper JSON = Json.MAPPER;

    private Http() {
    }

    /** Runs a route; a refusal becomes its 4xx, anything unexpected a 500 with the request id (details in the log). */
    static APIGatewayV2HTTPResponse serve(APIGatewayV2HTTPEvent request, Supplier<APIGatewayV2HTTPResponse> route) {
        try {
            return route.get();
        } catch (RefusedException refused) {
            return refusal(refused);
        } catch (NotJson notJson) {
            return json(415, RunViews.error("UnsupportedMediaType", notJson.getMessage()), Map.of());
        } catch (RuntimeException bug) {
            LOG.log(Level.SEVERE, "request " + requestId(request) + " (" + request.getRouteKey() + ") failed", bug);
            return json(500, RunViews.error("InternalError",
                    "runlane could not complete the request; request id " + requestId(request)), Map.of());
        }
    }

    /** A handler method that answers one route of its function. */
    @FunctionalInterface
    interface Route<H> {
        APIGatewayV2HTTPResponse serve(H handler, APIGatewayV2HTTPEvent request);
    }

    /**
     * Answers a request from its function's route table, keyed by the route key as API Gateway
     * passes it: the one place a path is named (OpenApiContractTest checks the tables against
     * openapi.yaml and template.yaml).
     */
    static <H> APIGatewayV2HTTPResponse route(Map<String, Route<H>> routes, H handler, APIGatewayV2HTTPEvent request) {
        String routeKey = String.valueOf(request.getRouteKey());
        Route<H> route = routes.get(routeKey);
        if (route == null) {
            throw noRoute(routeKey);
        }
        return route.serve(handler, request);
    }

    /** The request's body as JSON: content type, size and syntax checked. */
    static JsonNode jsonBody(APIGatewayV2HTTPEvent request, int maxBytes) {
        String contentType = header(request, "content-type");
        String mediaType = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json") && !mediaType.endsWith("+json")) {
            throw new NotJson();
        }
        byte[] body = bytes(request);
        if (body.length > maxBytes) {
            throw new RefusedException(TOO_LARGE, "BodyTooLarge",
                    "the body has " + body.length + " bytes; at most " + maxBytes + " are accepted here");
        }
        try {
            return JSON.readTree(body);
        } catch (Exception malformed) {
            throw RefusedException.invalid("InvalidJson", "the body is not valid JSON");
        }
    }

    /** Like {@link #jsonBody}, but a request without a body gives a missing node. */
    static JsonNode optionalJsonBody(APIGatewayV2HTTPEvent request, int maxBytes) {
        return bytes(request).length == 0 ? JSON.missingNode() : jsonBody(request, maxBytes);
    }

    /** A whole-number query parameter, or null when absent. */
    static Integer intQuery(APIGatewayV2HTTPEvent request, String name, String code) {
        String value = query(request, name);
        if (value == null) {
            return null;
        }
        try {
            return Integer.valueOf(value);
        } catch (NumberFormatException notANumber) {
            throw RefusedException.invalid(code, name + " must be a whole number");
        }
    }

    /** The bearer credential of the request, or null. */
    static String bearer(APIGatewayV2HTTPEvent request) {
        String authorization = header(request, "authorization");
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
    }

    /** A header of the request, by its name as API Gateway passes it (lower case), or null. */
    static String header(APIGatewayV2HTTPEvent request, String name) {
        return request.getHeaders() == null ? null : request.getHeaders().get(name);
    }

    /** A path parameter of the request's route, or null. */
    static String pathParameter(APIGatewayV2HTTPEvent request, String name) {
        return request.getPathParameters() == null ? null : request.getPathParameters().get(name);
    }

    /** A query string parameter of the request, or null. */
    static String query(APIGatewayV2HTTPEvent request, String name) {
        return request.getQueryStringParameters() == null ? null : request.getQueryStringParameters().get(name);
    }

    /**
     * Who sends the request, for per-caller limits: the IAM principal API Gateway authenticated, or, where
     * no IAM authorizer ran (the local cloud), the source address.
     */
    static String caller(APIGatewayV2HTTPEvent request) {
        var context = request.getRequestContext();
        var iam = context == null || context.getAuthorizer() == null ? null : context.getAuthorizer().getIam();
        if (iam != null && iam.getUserArn() != null) {
            return "iam:" + iam.getUserArn();
        }
        String source = context == null || context.getHttp() == null ? null : context.getHttp().getSourceIp();
        return "ip:" + (source == null ? "unknown" : source);
    }

    static String requestId(APIGatewayV2HTTPEvent request) {
        return request.getRequestContext() == null ? null : request.getRequestContext().getRequestId();
    }

    static APIGatewayV2HTTPResponse json(int status, JsonNode body, Map<String, String> extraHeaders) {
        Map<String, String> headers = new HashMap<>(extraHeaders);
        headers.put("content-type", "application/json");
        return response(status, Map.copyOf(headers), body.toString());
    }

    static APIGatewayV2HTTPResponse noContent() {
        return response(204, Map.of(), null);
    }

    private static APIGatewayV2HTTPResponse response(int status, Map<String, String> headers, String body) {
        return APIGatewayV2HTTPResponse.builder().withStatusCode(status).withHeaders(headers).withBody(body)
                .withIsBase64Encoded(false).build();
    }

    static APIGatewayV2HTTPResponse refusal(RefusedException refused) {
        int status = switch (refused.kind()) {
            case INVALID -> 400;
            case UNAUTHENTICATED -> 401;
            case NOT_PERMITTED -> 403;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case TOO_LARGE -> 413;
            case LIMIT_REACHED -> 429;
        };
        Map<String, String> headers = status == 401 ? Map.of("www-authenticate", "Bearer")
                : refused.retryAfterSeconds() != null ? Map.of("retry-after", refused.retryAfterSeconds().toString()) : Map.of();
        return json(status, RunViews.error(refused.code(), refused.getMessage()), headers);
    }

    static RefusedException noRoute(String routeKey) {
        return new RefusedException(RefusedException.Kind.NOT_FOUND, "RouteNotFound", "no route " + routeKey);
    }

    /** A body that is not JSON: refused by the transport (415), before any domain rule reads it. */
    private static final class NotJson extends RuntimeException {
        NotJson() {
            super("send JSON with content-type: application/json", null, false, false);
        }
    }

    private static byte[] bytes(APIGatewayV2HTTPEvent request) {
        if (request.getBody() == null) {
            return new byte[0];
        }
        if (!request.getIsBase64Encoded()) {
            return request.getBody().getBytes(StandardCharsets.UTF_8);
        }
        try {
            return Base64.getDecoder().decode(request.getBody());
        } catch (IllegalArgumentException notBase64) {
            throw RefusedException.invalid("InvalidBody", "the body is not valid base64");
        }
    }
}
