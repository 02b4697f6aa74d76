package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.runlane.domain.Run;
import dev.runlane.runs.RunService;
import dev.runlane.runs.StartRequest;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.Map;

/** The run API: routes an HTTP API request to the run service and maps the result to JSON. */
@Named("api")
public class ApiHandler implements RequestHandler<HttpApiRequest, HttpApiResponse> {

    @Inject
    RunService runs;

    @Override
    public HttpApiResponse handleRequest(HttpApiRequest request, Context context) {
        return Http.serve(request, () -> route(request));
    }

    private HttpApiResponse route(HttpApiRequest request) {
        String route = String.valueOf(request.routeKey());
        return switch (route) {
            case "POST /threads/{threadId}/runs" -> start(request);
            case "GET /threads/{threadId}/runs" -> ok(RunViews.page("runs", runs.list(request.pathParameter("threadId"),
                    Http.intQuery(request, "limit", "InvalidLimit"), request.query("nextToken")), RunViews::run));
            case "GET /runs/{runId}" -> ok(RunViews.details(runs.details(request.pathParameter("runId"))));
            case "GET /runs/{runId}/events" -> ok(RunViews.page("events", runs.events(request.pathParameter("runId"),
                    Http.intQuery(request, "limit", "InvalidLimit"), request.query("nextToken")), RunViews::event));
            case "POST /runs/{runId}/cancel" -> ok(RunViews.run(runs.cancel(request.pathParameter("runId"))));
            default -> throw Http.noRoute(route);
        };
    }

    private HttpApiResponse start(HttpApiRequest request) {
        StartRequest body = StartRequest.of(Http.jsonBody(request, StartRequest.MAX_BODY_BYTES));
        RunService.Started started = runs.start(request.pathParameter("threadId"), body, request.header("idempotency-key"));
        Run run = started.run();
        return Http.json(started.created() ? 202 : 200, RunViews.run(run), Map.of("location", "/runs/" + run.runId()));
    }

    private static HttpApiResponse ok(com.fasterxml.jackson.databind.JsonNode body) {
        return Http.json(200, body, Map.of());
    }
}
