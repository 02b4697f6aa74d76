package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.util.RawValue;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.desktop.DaemonService;
import dev.runlane.desktop.Report;
import dev.runlane.domain.RefusedException;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The daemon API: registration, revocation and credential rotation, frames (long-polled, acknowledged) and run reports. */
@Named("daemon-api")
public class DaemonApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    /**
     * Room for a report with an output above the limit a run records, so that such a report is read
     * and fails its run with OutputTooLarge instead of being refused unread (the run would hang).
     */
    private static final int MAX_BODY_BYTES = 1024 * 1024;

    @Inject
    DaemonService daemons;

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent request, Context context) {
        try (LogContext log = LogContext.of(context).run(Http.pathParameter(request, "runId"), null)
                .daemon(Http.pathParameter(request, "daemonId"))) {
            return Http.serve(request, () -> Http.route(ROUTES, this, request));
        }
    }

    /** The daemon API's routes (Http.route); OpenApiContractTest checks them against openapi.yaml and template.yaml. */
    static final Map<String, Http.Route<DaemonApiHandler>> ROUTES = Map.ofEntries(
            Map.entry("POST /daemons", DaemonApiHandler::register),
            Map.entry("DELETE /daemons/{daemonId}", DaemonApiHandler::revoke),
            Map.entry("POST /daemons/{daemonId}/credential", DaemonApiHandler::rotate),
            Map.entry("GET /daemons/{daemonId}/frames", DaemonApiHandler::frames),
            Map.entry("POST /daemons/{daemonId}/frames/ack", DaemonApiHandler::acknowledge),
            Map.entry("POST /runs/{runId}/reports", DaemonApiHandler::report));

    private APIGatewayV2HTTPResponse report(APIGatewayV2HTTPEvent request) {
        // The body is read only once the credential is known (a supplier): nobody else gets 1 MiB parsed.
        daemons.report(Http.pathParameter(request, "runId"), Http.bearer(request),
                () -> Report.of(Http.jsonBody(request, MAX_BODY_BYTES)));
        return Http.json(202, RunViews.object().put("accepted", true), Map.of());
    }

    private APIGatewayV2HTTPResponse register(APIGatewayV2HTTPEvent request) {
        JsonNode body = Http.jsonBody(request, 4096);
        DaemonService.Registration registered = daemons.register(body.path("daemonId").asText(null));
        return Http.json(201, RunViews.object().put("daemonId", registered.daemonId())
                .put("credential", registered.credential()), Map.of());
    }

    private APIGatewayV2HTTPResponse revoke(APIGatewayV2HTTPEvent request) {
        DaemonService.Revocation revoked = daemons.revoke(Http.pathParameter(request, "daemonId"));
        ObjectNode body = RunViews.object().put("daemonId", revoked.daemonId());
        ArrayNode failedRuns = body.putArray("failedRuns");
        revoked.failedRuns().forEach(failedRuns::add);
        return Http.json(200, body, Map.of());
    }

    private APIGatewayV2HTTPResponse rotate(APIGatewayV2HTTPEvent request) {
        DaemonService.Registration rotated = daemons.rotate(Http.pathParameter(request, "daemonId"));
        return Http.json(200, RunViews.object().put("daemonId", rotated.daemonId())
                .put("credential", rotated.credential()), Map.of());
    }

    private APIGatewayV2HTTPResponse frames(APIGatewayV2HTTPEvent request) {
        Integer wait = Http.intQuery(request, "waitSeconds", "InvalidWait");
        DaemonService.FrameBatch<RawValue> batch;
        try {
            // Each frame written on its own: one that cannot be fails its run and is left out, the poll still answers.
            batch = daemons.frames(Http.pathParameter(request, "daemonId"), Http.bearer(request), Http.query(request, "after"),
                    wait == null ? 0 : wait, (frame, epoch) -> new RawValue(RunViews.written(RunViews.frame(frame, epoch))));
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("frame poll interrupted", stopped);
        }
        ObjectNode body = RunViews.object();
        ArrayNode frames = body.putArray("frames");
        batch.frames().forEach(frames::addRawValue);
        body.put("cursor", batch.cursor());
        return Http.json(200, body, Map.of());
    }

    private APIGatewayV2HTTPResponse acknowledge(APIGatewayV2HTTPEvent request) {
        List<String> removed = daemons.acknowledge(Http.pathParameter(request, "daemonId"), Http.bearer(request),
                () -> frameIds(Http.jsonBody(request, 16 * 1024)));
        ObjectNode body = RunViews.object();
        removed.forEach(body.putArray("acknowledged")::add);
        return Http.json(200, body, Map.of());
    }

    private static List<String> frameIds(JsonNode body) {
        JsonNode ids = body.path("frameIds");
        if (!ids.isArray()) {
            throw RefusedException.invalid("InvalidFrameIds", "send {\"frameIds\":[…]}");
        }
        List<String> frameIds = new ArrayList<>();
        ids.forEach(id -> frameIds.add(id.asText("")));
        return frameIds;
    }
}
