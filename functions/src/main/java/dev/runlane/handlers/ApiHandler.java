package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.runlane.domain.Run;
import dev.runlane.runs.RunService;
import dev.runlane.runs.StartRequest;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.Map;

/** The run API: routes an HTTP API request to the run service and maps the result to JSON. */
@Named("api")
public class ApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {

    @Inject
    RunService runs;

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent request, Context context) {
        return Http.serve(request, () -> route(request));
    }

    private APIGatewayV2HTTPResponse route(APIGatewayV2HTTPEvent request) {
        String route = String.valueOf(request.getRouteKey());
        return switch (route) {
            case "POST /threads/{threadId}/runs" -> start(request);
            case "GET /threads/{threadId}/runs" -> ok(RunViews.page("runs", runs.list(Http.pathParameter(request, "threadId"),
                    Http.intQuery(request, "limit", "InvalidLimit"), Http.query(request, "nextToken")), RunViews::run));
            case "GET /runs/{runId}" -> ok(RunViews.details(runs.details(Http.pathParameter(request, "runId"))));
            case "GET /runs/{runId}/events" -> ok(RunViews.page("events", runs.events(Http.pathParameter(request, "runId"),
                    Http.intQuery(request, "limit", "InvalidLimit"), Http.query(request, "nextToken")), RunViews::event));
            case "POST /runs/{runId}/cancel" -> ok(RunViews.run(runs.cancel(Http.pathParameter(request, "runId"))));
            default -> throw Http.noRoute(route);
        };
    }

    private APIGatewayV2HTTPResponse start(APIGatewayV2HTTPEvent request) {
        StartRequest body = StartRequest.of(Http.jsonBody(request, StartRequest.MAX_BODY_BYTES));
        RunService.Started started = runs.start(Http.pathParameter(request, "threadId"), body, Http.header(request, "idempotency-key"));
        Run run = started.run();
        return Http.json(started.created() ? 202 : 200, RunViews.run(run), Map.of("location", "/runs/" + run.runId()));
    }

    private static APIGatewayV2HTTPResponse ok(com.fasterxml.jackson.databind.JsonNode body) {
        return Http.json(200, body, Map.of());
    }
}
