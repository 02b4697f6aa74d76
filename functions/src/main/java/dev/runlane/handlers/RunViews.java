package dev.runlane.handlers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.domain.Frame;
import dev.runlane.domain.Page;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Timestamps;
import dev.runlane.runs.Json;
import dev.runlane.runs.RunService;

import java.util.function.Function;

/** The API's JSON shapes of runs and events. */
final class RunViews {
    private static final ObjectMapper JSON = Json.MAPPER;

    private RunViews() {
    }

    /** A run with its input, and its output once it SUCCEEDED (an attempt's output is no result before that). */
    static ObjectNode details(RunService.RunDetails details) {
        ObjectNode view = run(details.run());
        view.set("input", parse(details.payloads().input()));
        view.set("output", details.run().status() == RunStatus.SUCCEEDED ? parse(details.payloads().output()) : JSON.nullNode());
        return view;
    }

    /** A run's status fields (listings leave out input and output: GET /runs/{runId} has them). */
    static ObjectNode run(Run run) {
        ObjectNode view = JSON.createObjectNode();
        view.put("runId", run.runId());
        view.put("threadId", run.threadId());
        view.put("target", run.target().wireName());
        if (run.daemonId() != null) {
            view.put("daemonId", run.daemonId());
        }
        view.put("status", run.status().name());
        view.put("attempts", run.attempts());
        if (run.fenceToken() == null) {
            view.putNull("fenceToken");
        } else {
            view.put("fenceToken", run.fenceToken());
        }
        view.put("executionArn", run.executionArn());
        if (run.error() == null) {
            view.putNull("error");
        } else {
            view.putObject("error").put("code", run.error().code()).put("message", run.error().message());
        }
        view.put("staleWrites", run.staleWrites());
        view.put("onBusy", run.options().onBusy().wireName());
        view.put("expiresAt", Timestamps.format(run.options().expiresAt()));
        view.put("rerunOf", run.options().rerunOf());
        view.put("createdAt", Timestamps.format(run.createdAt()));
        view.put("startedAt", Timestamps.format(run.startedAt()));
        view.put("finishedAt", Timestamps.format(run.finishedAt()));
        return view;
    }

    /** A thread's controls and where its queue stands. */
    static ObjectNode thread(RunService.ThreadView thread) {
        ObjectNode view = JSON.createObjectNode();
        view.put("threadId", thread.state().threadId());
        view.put("paused", thread.state().paused());
        view.put("pausedAt", Timestamps.format(thread.state().pausedAt()));
        view.put("activeAt", Timestamps.format(thread.state().activeAt()));
        view.set("running", thread.running() == null ? JSON.nullNode() : run(thread.running()));
        view.put("queued", thread.queued());
        view.set("lastRun", thread.newest() == null ? JSON.nullNode() : run(thread.newest()));
        return view;
    }

    /** A live poll's answer: the new events, the cursor to pass as {@code after} next, the run's status. */
    static ObjectNode live(RunService.LiveEvents live) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode items = body.putArray("events");
        live.events().forEach(event -> items.add(event(event)));
        body.put("cursor", live.cursor());
        body.put("status", live.run().status().name());
        body.put("ended", live.run().isTerminal());
        return body;
    }

    static ObjectNode event(RunEvent event) {
        ObjectNode view = JSON.createObjectNode();
        view.put("type", event.type());
        view.put("attempt", event.attempt());
        view.put("fenceToken", event.fenceToken());
        view.put("time", Timestamps.format(event.time()));
        view.set("data", parse(event.data()));
        return view;
    }

    static <T> ObjectNode page(String field, Page<T> page, Function<T, ObjectNode> view) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode items = body.putArray(field);
        page.items().forEach(item -> items.add(view.apply(item)));
        body.put("nextToken", page.nextCursor());
        return body;
    }

    /** A daemon's frame; {@code epoch} names the backend whose fence issued its token. */
    static ObjectNode frame(Frame frame, String epoch) {
        ObjectNode view = JSON.createObjectNode();
        view.put("frameId", frame.frameId());
        view.put("kind", frame.kind().name().toLowerCase(java.util.Locale.ROOT));
        view.put("runId", frame.runId());
        view.put("threadId", frame.threadId());
        view.put("fenceToken", frame.fenceToken());
        view.put("epoch", epoch);
        if (frame.input() != null) {
            view.set("input", parse(frame.input()));
        }
        if (frame.heartbeatSeconds() > 0) {
            view.put("heartbeatSeconds", frame.heartbeatSeconds());
        }
        view.put("createdAt", Timestamps.format(frame.createdAt()));
        return view;
    }

    /** A view written as JSON text; throws for one that cannot be (a Jackson limit). */
    static String written(JsonNode view) {
        try {
            return JSON.writeValueAsString(view);
        } catch (JsonProcessingException unwritable) {
            throw new IllegalArgumentException("the view cannot be written as JSON: " + unwritable.getOriginalMessage(), unwritable);
        }
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static ObjectNode error(String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("code", code).put("message", message);
        return body;
    }

    private static JsonNode parse(String json) {
        try {
            return json == null ? JSON.nullNode() : JSON.readTree(json);
        } catch (Exception notJson) {
            return JSON.getNodeFactory().textNode(json);
        }
    }
}
