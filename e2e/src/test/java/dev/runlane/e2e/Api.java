package dev.runlane.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The run API over HTTP, as a user calls it. Every call is bounded by a request timeout. With a
 * {@link SigV4} signer (a deployed stack, whose API is IAM-authorized) every request is signed, except
 * those that carry their own {@code Authorization} (a daemon's bearer credential); without one (the
 * local cloud, whose API front checks no signature) nothing is signed.
 */
public final class Api {
    public static final ObjectMapper JSON = new ObjectMapper();
    /** Every terminal status; EXPIRED and REJECTED end runs that never executed (onBusy reject, expiresInSeconds). */
    public static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "EXPIRED", "REJECTED");
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final URI base;
    private final HttpClient http;
    private final SigV4 signer;

    /** Unsigned calls. */
    public Api(URI base) {
        this(base, null);
    }

    /** Calls signed by {@code signer} ({@code null}: unsigned). */
    public Api(URI base, SigV4 signer) {
        this.base = base;
        this.signer = signer;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Whether this client signs its requests (SigV4, execute-api). */
    public boolean signs() {
        return signer != null;
    }

    /** A response: its status, its body as JSON (a text node when the body is not JSON) and its Retry-After, if any. */
    public record Response(int status, JsonNode body, String raw, String retryAfter) {
        public String errorCode() {
            return body.path("error").path("code").asText(null);
        }

        @Override
        public String toString() {
            return status + " " + raw;
        }
    }

    public URI base() {
        return base;
    }

    // ---------------------------------------------------------------- runs

    public Response start(String threadId, JsonNode body, String idempotencyKey) {
        HttpRequest.Builder request = request("/threads/" + threadId + "/runs")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return send(request);
    }

    /** Starts a run and requires 202; returns the run. */
    public JsonNode startRun(String threadId, JsonNode body) {
        Response response = start(threadId, body, null);
        if (response.status() != 202) {
            throw new AssertionError("start on thread " + threadId + " answered " + response);
        }
        return response.body();
    }

    public static ObjectNode hosted(JsonNode input) {
        ObjectNode body = JSON.createObjectNode().put("target", "hosted");
        body.set("input", input);
        return body;
    }

    public static ObjectNode echo(String message) {
        return hosted(JSON.createObjectNode().put("agent", "echo").put("message", message));
    }

    public static ObjectNode simulated(long durationMs, long progressMs) {
        return hosted(JSON.createObjectNode().put("agent", "simulated").put("durationMs", durationMs).put("progressMs", progressMs));
    }

    /** A desktop run for the daemon {@code daemonId}. */
    public static ObjectNode desktop(String daemonId, JsonNode input) {
        ObjectNode body = JSON.createObjectNode().put("target", "desktop").put("daemonId", daemonId);
        body.set("input", input);
        return body;
    }

    public Response get(String path) {
        return send(request(path).GET());
    }

    public JsonNode run(String runId) {
        Response response = get("/runs/" + runId);
        if (response.status() != 200) {
            throw new AssertionError("GET /runs/" + runId + " answered " + response);
        }
        return response.body();
    }

    /** Polls the run until it is terminal (within {@code bound}); returns it. */
    public JsonNode awaitTerminal(String runId, Duration bound) {
        return Poll.until(bound, "run " + runId + " ends", () -> run(runId), r -> TERMINAL.contains(r.path("status").asText()));
    }

    public JsonNode awaitStatus(String runId, String status, Duration bound) {
        return Poll.until(bound, "run " + runId + " is " + status, () -> run(runId), r -> status.equals(r.path("status").asText()));
    }

    /** All runs of a thread in queue order (every page). */
    public List<JsonNode> threadRuns(String threadId) {
        List<JsonNode> runs = new ArrayList<>();
        String next = null;
        do {
            Response page = get("/threads/" + threadId + "/runs?limit=100" + (next == null ? "" : "&nextToken=" + encode(next)));
            if (page.status() != 200) {
                throw new AssertionError("listing thread " + threadId + " answered " + page);
            }
            page.body().path("runs").forEach(runs::add);
            next = page.body().path("nextToken").isTextual() ? page.body().path("nextToken").asText() : null;
        } while (next != null);
        return runs;
    }

    /** All events of a run (every page). */
    public List<JsonNode> events(String runId) {
        List<JsonNode> events = new ArrayList<>();
        String next = null;
        do {
            Response page = get("/runs/" + runId + "/events?limit=100" + (next == null ? "" : "&nextToken=" + encode(next)));
            if (page.status() != 200) {
                throw new AssertionError("events of run " + runId + " answered " + page);
            }
            page.body().path("events").forEach(events::add);
            next = page.body().path("nextToken").isTextual() ? page.body().path("nextToken").asText() : null;
        } while (next != null);
        return events;
    }

    public Response cancel(String runId) {
        return send(request("/runs/" + runId + "/cancel").POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** {@code POST /runs/{runId}/rerun}; {@code options} null: no body. */
    public Response rerun(String runId, JsonNode options, String idempotencyKey) {
        HttpRequest.Builder request = request("/runs/" + runId + "/rerun");
        if (options == null) {
            request.POST(HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(options.toString()));
        }
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return send(request);
    }

    /** A live events poll: {@code GET /runs/{runId}/events?after=…&waitSeconds=…} ({@code after} null: left out). */
    public Response watch(String runId, String after, int waitSeconds) {
        return get("/runs/" + runId + "/events?waitSeconds=" + waitSeconds + (after == null ? "" : "&after=" + encode(after)));
    }

    // ---------------------------------------------------------------- threads

    public Response thread(String threadId) {
        return get("/threads/" + threadId);
    }

    /** {@code GET /threads/{threadId}}, requiring 200. */
    public JsonNode threadView(String threadId) {
        Response response = thread(threadId);
        if (response.status() != 200) {
            throw new AssertionError("GET /threads/" + threadId + " answered " + response);
        }
        return response.body();
    }

    public Response pause(String threadId) {
        return send(request("/threads/" + threadId + "/pause").POST(HttpRequest.BodyPublishers.noBody()));
    }

    public Response resume(String threadId) {
        return send(request("/threads/" + threadId + "/resume").POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** {@code POST /threads/{threadId}/cancel} with {"include": include}; {@code include} null: no body. */
    public Response cancelThread(String threadId, String include) {
        HttpRequest.Builder request = request("/threads/" + threadId + "/cancel");
        if (include == null) {
            request.POST(HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("include", include).toString()));
        }
        return send(request);
    }

    public Response registerDaemon(String daemonId) {
        return send(request("/daemons").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("daemonId", daemonId).toString())));
    }

    /** Registers a daemon and requires 201; returns its credential. */
    public String daemonCredential(String daemonId) {
        Response registered = registerDaemon(daemonId);
        if (registered.status() != 201 || !registered.body().path("credential").isTextual()) {
            throw new AssertionError("registering daemon " + daemonId + " answered " + registered);
        }
        return registered.body().path("credential").asText();
    }

    /** Revokes a daemon ({@code DELETE /daemons/{daemonId}}, an operator's call). */
    public Response revokeDaemon(String daemonId) {
        return send(request("/daemons/" + daemonId).DELETE());
    }

    /** Rotates a daemon's credential ({@code POST /daemons/{daemonId}/credential}, an operator's call). */
    public Response rotateDaemonCredential(String daemonId) {
        return send(request("/daemons/" + daemonId + "/credential").POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** A daemon's frame fetch, as the daemon makes it ({@code credential} null: no Authorization header). */
    public Response frames(String daemonId, String credential, int waitSeconds) {
        return send(withCredential(request("/daemons/" + daemonId + "/frames?waitSeconds=" + waitSeconds), credential).GET());
    }

    /** A daemon's acknowledgement of frames (a claim, for a start frame), as the daemon makes it. */
    public Response acknowledge(String daemonId, String credential, List<String> frameIds) {
        ObjectNode body = JSON.createObjectNode();
        frameIds.forEach(body.putArray("frameIds")::add);
        return send(withCredential(request("/daemons/" + daemonId + "/frames/ack"), credential)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    /** The body of a daemon's report of this type under the fence token (the caller adds its data, output or error). */
    public static ObjectNode reportBody(String type, long fenceToken) {
        return JSON.createObjectNode().put("type", type).put("fenceToken", fenceToken);
    }

    /** A daemon's report on a run, as the daemon makes it. */
    public Response report(String runId, String credential, JsonNode report) {
        return send(withCredential(request("/runs/" + runId + "/reports"), credential)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(report.toString())));
    }

    private static HttpRequest.Builder withCredential(HttpRequest.Builder request, String credential) {
        return credential == null ? request : request.header("Authorization", "Bearer " + credential);
    }

    // ---------------------------------------------------------------- raw

    public Response post(String path, String contentType, byte[] body) {
        HttpRequest.Builder request = request(path).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("content-type", contentType);
        }
        return send(request);
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(REQUEST_TIMEOUT);
    }

    public Response send(HttpRequest.Builder request) {
        try {
            HttpRequest built = request.build();
            if (signer != null && built.headers().firstValue("Authorization").isEmpty()) {
                built = signer.sign(built);
            }
            HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), parse(response.body()), response.body(),
                    response.headers().firstValue("retry-after").orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return body == null || body.isEmpty() ? JSON.missingNode() : JSON.readTree(body);
        } catch (IOException notJson) {
            return JSON.getNodeFactory().textNode(body);
        }
    }

    public static Instant time(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() ? Instant.parse(value.asText()) : null;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
