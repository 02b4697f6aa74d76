package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.runlane.domain.Run;
import dev.runlane.runs.RunRequestException;
import dev.runlane.runs.RunService;
import dev.runlane.runs.StartRequest;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import static dev.runlane.runs.RunRequestException.Kind.TOO_LARGE;
import static dev.runlane.runs.RunRequestException.Kind.UNSUPPORTED_MEDIA_TYPE;

/** The run API: routes an HTTP API request to the run service and maps the result to JSON. */
@Named("api")
public class ApiHandler implements RequestHandler<HttpApiRequest, HttpApiResponse> {
    private static final Logger LOG = Logger.getLogger(ApiHandler.class.getName());
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    @Inject
    RunService runs;

    @Override
    public HttpApiResponse handleRequest(HttpApiRequest request, Context context) {
        try {
            return route(request);
        } catch (RunRequestException refused) {
            return error(refused);
        } catch (RuntimeException bug) {
            LOG.log(Level.SEVERE, "request " + request.requestId() + " (" + request.routeKey() + ") failed", bug);
            return HttpApiResponse.json(500, RunViews.error("InternalError",
                    "runlane could not complete the request; request id " + request.requestId()).toString(), Map.of());
        }
    }

    private HttpApiResponse route(HttpApiRequest request) {
        String route = request.routeKey() == null ? "" : request.routeKey();
        return switch (route) {
            case "POST /threads/{threadId}/runs" -> start(request);
            case "GET /threads/{threadId}/runs" -> ok(RunViews.page("runs", runs.list(request.pathParameter("threadId"),
                    limit(request), request.query("nextToken")), RunViews::run));
            case "GET /runs/{runId}" -> ok(RunViews.run(runs.get(request.pathParameter("runId"))));
            case "GET /runs/{runId}/events" -> ok(RunViews.page("events", runs.events(request.pathParameter("runId"),
                    limit(request), request.query("nextToken")), RunViews::event));
            case "POST /runs/{runId}/cancel" -> ok(RunViews.run(runs.cancel(request.pathParameter("runId"))));
            default -> error(new RunRequestException(RunRequestException.Kind.NOT_FOUND, "RouteNotFound",
                    "no route " + route));
        };
    }

    private HttpApiResponse start(HttpApiRequest request) {
        RunService.Started started = runs.start(request.pathParameter("threadId"), StartRequest.of(jsonBody(request)),
                request.header("idempotency-key"));
        Run run = started.run();
        return HttpApiResponse.json(started.created() ? 202 : 200, RunViews.run(run).toString(),
                Map.of("location", "/runs/" + run.runId()));
    }

    private static JsonNode jsonBody(HttpApiRequest request) {
        String contentType = request.header("content-type");
        String mediaType = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json") && !mediaType.endsWith("+json")) {
            throw new RunRequestException(UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType",
                    "send the run as JSON with content-type: application/json");
        }
        byte[] body = bytes(request);
        if (body.length > StartRequest.MAX_BODY_BYTES) {
            throw new RunRequestException(TOO_LARGE, "BodyTooLarge", "the body has " + body.length
                    + " bytes; a run carries at most " + StartRequest.MAX_BODY_BYTES + " (the Step Functions input limit)");
        }
        try {
            return JSON.readTree(body);
        } catch (Exception malformed) {
            throw RunRequestException.invalid("InvalidJson", "the body is not valid JSON");
        }
    }

    private static byte[] bytes(HttpApiRequest request) {
        if (request.body() == null) {
            return new byte[0];
        }
        if (!request.isBase64Encoded()) {
            return request.body().getBytes(StandardCharsets.UTF_8);
        }
        try {
            return Base64.getDecoder().decode(request.body());
        } catch (IllegalArgumentException notBase64) {
            throw RunRequestException.invalid("InvalidBody", "the body is not valid base64");
        }
    }

    private static Integer limit(HttpApiRequest request) {
        String limit = request.query("limit");
        if (limit == null) {
            return null;
        }
        try {
            return Integer.valueOf(limit);
        } catch (NumberFormatException notANumber) {
            throw RunRequestException.invalid("InvalidLimit", "limit must be a whole number");
        }
    }

    private static HttpApiResponse ok(JsonNode body) {
        return HttpApiResponse.json(200, body.toString(), Map.of());
    }

    private static HttpApiResponse error(RunRequestException refused) {
        int status = switch (refused.kind()) {
            case INVALID -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case TOO_LARGE -> 413;
            case UNSUPPORTED_MEDIA_TYPE -> 415;
        };
        return HttpApiResponse.json(status, RunViews.error(refused.code(), refused.getMessage()).toString(), Map.of());
    }
}
