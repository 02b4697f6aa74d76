package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
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

/** The daemon API: registration, frames (long-polled, acknowledged) and run reports. */
@Named("daemon-api")
public class DaemonApiHandler implements RequestHandler<HttpApiRequest, HttpApiResponse> {
    /**
     * Room for a report with an output above the limit a run records, so that such a report is read
     * and fails its run with OutputTooLarge instead of being refused unread (the run would hang).
     */
    private static final int MAX_BODY_BYTES = 1024 * 1024;

    @Inject
    DaemonService daemons;

    @Override
    public HttpApiResponse handleRequest(HttpApiRequest request, Context context) {
        return Http.serve(request, () -> route(request));
    }

    private HttpApiResponse route(HttpApiRequest request) {
        String route = String.valueOf(request.routeKey());
        return switch (route) {
            case "POST /daemons" -> register(request);
            case "GET /daemons/{daemonId}/frames" -> frames(request);
            case "POST /daemons/{daemonId}/frames/ack" -> acknowledge(request);
            case "POST /runs/{runId}/reports" -> {
                daemons.report(request.pathParameter("runId"), Http.bearer(request),
                        Report.of(Http.jsonBody(request, MAX_BODY_BYTES)));
                yield Http.json(202, RunViews.object().put("accepted", true), Map.of());
            }
            default -> throw Http.noRoute(route);
        };
    }

    private HttpApiResponse register(HttpApiRequest request) {
        JsonNode body = Http.jsonBody(request, 4096);
        DaemonService.Registration registered = daemons.register(body.path("daemonId").asText(null));
        return Http.json(201, RunViews.object().put("daemonId", registered.daemonId())
                .put("credential", registered.credential()), Map.of());
    }

    private HttpApiResponse frames(HttpApiRequest request) {
        Integer wait = Http.intQuery(request, "waitSeconds", "InvalidWait");
        DaemonService.FrameBatch batch;
        try {
            batch = daemons.frames(request.pathParameter("daemonId"), Http.bearer(request), request.query("after"),
                    wait == null ? 0 : wait);
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("frame poll interrupted", stopped);
        }
        ObjectNode body = RunViews.object();
        ArrayNode frames = body.putArray("frames");
        batch.frames().forEach(frame -> frames.add(RunViews.frame(frame, batch.epoch())));
        body.put("cursor", batch.cursor());
        return Http.json(200, body, Map.of());
    }

    private HttpApiResponse acknowledge(HttpApiRequest request) {
        JsonNode ids = Http.jsonBody(request, 16 * 1024).path("frameIds");
        if (!ids.isArray()) {
            throw RefusedException.invalid("InvalidFrameIds", "send {\"frameIds\":[…]}");
        }
        List<String> frameIds = new ArrayList<>();
        ids.forEach(id -> frameIds.add(id.asText("")));
        daemons.acknowledge(request.pathParameter("daemonId"), Http.bearer(request), frameIds);
        return Http.noContent();
    }
}
