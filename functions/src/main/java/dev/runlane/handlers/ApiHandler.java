package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.domain.RefusedException;
import dev.runlane.domain.Run;
import dev.runlane.runs.RunService;
import dev.runlane.runs.StartOptions;
import dev.runlane.runs.StartRequest;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The run API: routes an HTTP API request to the run service and maps the result to JSON. */
@Named("api")
public class ApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    /** A rerun's or a thread cancel's body holds a few options. */
    private static final int OPTIONS_BODY_BYTES = 4_096;

    @Inject
    RunService runs;

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent request, Context context) {
        try (LogContext log = LogContext.of(context).run(Http.pathParameter(request, "runId"), Http.pathParameter(request, "threadId"))) {
            return Http.serve(request, () -> Http.route(ROUTES, this, request));
        }
    }

    /** The run API's routes (Http.route); OpenApiContractTest checks them against openapi.yaml and template.yaml. */
    static final Map<String, Http.Route<ApiHandler>> ROUTES = Map.ofEntries(
            Map.entry("POST /threads/{threadId}/runs", ApiHandler::start),
            Map.entry("GET /threads/{threadId}/runs", ApiHandler::listRuns),
            Map.entry("GET /runs/{runId}", ApiHandler::getRun),
            Map.entry("GET /runs/{runId}/events", ApiHandler::events),
            Map.entry("POST /runs/{runId}/cancel", ApiHandler::cancel),
            Map.entry("POST /runs/{runId}/rerun", ApiHandler::rerun),
            Map.entry("GET /threads", ApiHandler::listThreads),
            Map.entry("GET /threads/{threadId}", ApiHandler::getThread),
            Map.entry("POST /threads/{threadId}/pause", ApiHandler::pause),
            Map.entry("POST /threads/{threadId}/resume", ApiHandler::resume),
            Map.entry("POST /threads/{threadId}/cancel", ApiHandler::cancelThread));

    private APIGatewayV2HTTPResponse listRuns(APIGatewayV2HTTPEvent request) {
        return ok(RunViews.page("runs", runs.list(Http.pathParameter(request, "threadId"),
                Http.intQuery(request, "limit", "InvalidLimit"), Http.query(request, "nextToken")), RunViews::run));
    }

    private APIGatewayV2HTTPResponse getRun(APIGatewayV2HTTPEvent request) {
        return ok(RunViews.details(runs.details(Http.pathParameter(request, "runId"))));
    }

    private APIGatewayV2HTTPResponse cancel(APIGatewayV2HTTPEvent request) {
        return ok(RunViews.run(runs.cancel(Http.pathParameter(request, "runId"))));
    }

    private APIGatewayV2HTTPResponse listThreads(APIGatewayV2HTTPEvent request) {
        return ok(RunViews.page("threads", runs.threads(Http.intQuery(request, "limit", "InvalidLimit"),
                Http.query(request, "nextToken")), RunViews::thread));
    }

    private APIGatewayV2HTTPResponse getThread(APIGatewayV2HTTPEvent request) {
        return ok(RunViews.thread(runs.thread(Http.pathParameter(request, "threadId"))));
    }

    private APIGatewayV2HTTPResponse pause(APIGatewayV2HTTPEvent request) {
        return ok(RunViews.thread(runs.pause(Http.pathParameter(request, "threadId"))));
    }

    private APIGatewayV2HTTPResponse resume(APIGatewayV2HTTPEvent request) {
        return ok(RunViews.thread(runs.resume(Http.pathParameter(request, "threadId"))));
    }

    /** With {@code after} or {@code waitSeconds}: a live poll that waits for new events (its caller's long polls capped); else one page. */
    private APIGatewayV2HTTPResponse events(APIGatewayV2HTTPEvent request) {
        String runId = Http.pathParameter(request, "runId");
        String after = Http.query(request, "after");
        Integer wait = Http.intQuery(request, "waitSeconds", "InvalidWait");
        if (after == null && wait == null) {
            return ok(RunViews.page("events", runs.events(runId, Http.intQuery(request, "limit", "InvalidLimit"),
                    Http.query(request, "nextToken")), RunViews::event));
        }
        return ok(RunViews.live(runs.watch(runId, after, wait, Http.caller(request))));
    }

    private APIGatewayV2HTTPResponse rerun(APIGatewayV2HTTPEvent request) {
        StartOptions options = StartRequest.rerunOptions(Http.optionalJsonBody(request, OPTIONS_BODY_BYTES));
        return started(runs.rerun(Http.pathParameter(request, "runId"), options, Http.header(request, "idempotency-key")));
    }

    private APIGatewayV2HTTPResponse cancelThread(APIGatewayV2HTTPEvent request) {
        JsonNode body = Http.optionalJsonBody(request, OPTIONS_BODY_BYTES);
        RunService.Include include = RunService.Include.QUEUED;
        if (!body.isMissingNode() && !(body.isObject() && body.isEmpty())) { // none or {}: the default, queued
            if (!body.isObject() || body.size() != 1 || !body.path("include").isTextual()
                    || !Set.of("queued", "all").contains(body.get("include").asText())) {
                throw RefusedException.invalid("InvalidInclude",
                        "the body is {}, {\"include\":\"queued\"} (the default) or {\"include\":\"all\"}");
            }
            include = RunService.Include.valueOf(body.get("include").asText().toUpperCase(Locale.ROOT));
        }
        String threadId = Http.pathParameter(request, "threadId");
        ObjectNode view = RunViews.object().put("threadId", threadId);
        runs.cancelThread(threadId, include).forEach(view.putArray("cancelled")::add);
        if (!view.has("cancelled")) {
            view.putArray("cancelled");
        }
        return ok(view);
    }

    private APIGatewayV2HTTPResponse start(APIGatewayV2HTTPEvent request) {
        StartRequest body = StartRequest.of(Http.jsonBody(request, StartRequest.MAX_BODY_BYTES));
        return started(runs.start(Http.pathParameter(request, "threadId"), body, Http.header(request, "idempotency-key")));
    }

    private static APIGatewayV2HTTPResponse started(RunService.Started started) {
        Run run = started.run();
        return Http.json(started.created() ? 202 : 200, RunViews.run(run), Map.of("location", "/runs/" + run.runId()));
    }

    private static APIGatewayV2HTTPResponse ok(JsonNode body) {
        return Http.json(200, body, Map.of());
    }
}
