package dev.runlane.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon side of the runlane daemon API: fetch frames (long poll), acknowledge them, report on runs.
 * Every call carries {@code Authorization: Bearer <credential>}; the credential never appears in an
 * exception message or a log line.
 */
public final class ApiClient implements Reporter {

    /** A page of frames and the cursor to ask with next. */
    public record FramesPage(List<Frame> frames, String cursor) {
    }

    /** The API answered 401 or 403: the credential is missing, unknown or another daemon's. */
    public static final class CredentialRejected extends Exception {
        public CredentialRejected(String message) {
            super(message);
        }
    }

    /** An answer that is neither success nor definitive (5xx, 429, unexpected body): worth retrying. */
    public static class ApiException extends IOException {
        public ApiException(String message) {
            super(message);
        }
    }

    /**
     * 429 TooManyLongPolls: this daemon id already holds the stack's LongPollsPerCaller waiting polls (other
     * processes with its credential, or polls of one that died, until they end). A poll without waiting needs no slot.
     */
    public static final class TooManyLongPolls extends ApiException {
        private final Duration retryAfter;

        TooManyLongPolls(String message, Duration retryAfter) {
            super(message);
            this.retryAfter = retryAfter;
        }

        public Duration retryAfter() {
            return retryAfter;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final URI api;
    private final String daemonId;
    private final String authorization;
    private final HttpClient http;

    public ApiClient(URI api, String daemonId, String credential) {
        this.api = api;
        this.daemonId = daemonId;
        this.authorization = "Bearer " + credential;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** Long-polls the daemon's frames after the cursor (all unacknowledged frames when it is null). */
    public FramesPage frames(String after, int waitSeconds)
            throws IOException, InterruptedException, CredentialRejected {
        String query = "?waitSeconds=" + waitSeconds + (after == null ? "" : "&after=" + query(after));
        HttpRequest request = request("/daemons/" + segment(daemonId) + "/frames" + query)
                .timeout(Duration.ofSeconds(waitSeconds + 15L))
                .GET()
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        checkCredential(response);
        if (response.statusCode() == 429 && "TooManyLongPolls".equals(error(response).path("code").asText(null))) {
            long seconds = response.headers().firstValueAsLong("retry-after").orElse(2);
            throw new TooManyLongPolls("GET frames answered " + describe(response), Duration.ofSeconds(Math.max(1, Math.min(seconds, 60))));
        }
        if (response.statusCode() != 200) {
            throw new ApiException("GET frames answered " + describe(response));
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            throw new ApiException("GET frames answered a body that is not JSON");
        }
        if (body == null || !body.path("frames").isArray()) {
            throw new ApiException("GET frames answered without a frames array");
        }
        List<Frame> frames = new ArrayList<>();
        body.get("frames").forEach(node -> frames.add(Frame.of(node)));
        JsonNode cursor = body.get("cursor");
        return new FramesPage(frames, cursor != null && cursor.isTextual() && !cursor.asText().isEmpty()
                ? cursor.asText() : after);
    }

    /**
     * Acknowledges frames: the API forgets them. Returns the ids this call removed (a frame another process of
     * the daemon acknowledged first is not among them); all of them from a server that does not say (204).
     */
    public List<String> ack(List<String> frameIds) throws IOException, InterruptedException, CredentialRejected {
        ObjectNode body = JSON.createObjectNode();
        frameIds.forEach(body.putArray("frameIds")::add);
        HttpResponse<String> response = postJson("/daemons/" + segment(daemonId) + "/frames/ack", body);
        checkCredential(response);
        if (response.statusCode() / 100 != 2) {
            throw new ApiException("POST frames/ack answered " + describe(response));
        }
        if (response.statusCode() == 204) {
            return frameIds;
        }
        JsonNode removed;
        try {
            JsonNode answer = JSON.readTree(response.body());
            removed = answer == null ? null : answer.get("acknowledged");
        } catch (JsonProcessingException e) {
            throw new ApiException("POST frames/ack answered a body that is not JSON");
        }
        if (removed == null || !removed.isArray()) {
            throw new ApiException("POST frames/ack answered without an acknowledged array");
        }
        List<String> ids = new ArrayList<>();
        removed.forEach(id -> ids.add(id.asText()));
        return ids;
    }

    @Override
    public Result report(String runId, ObjectNode body) throws IOException, InterruptedException {
        HttpResponse<String> response = postJson("/runs/" + segment(runId) + "/reports", body);
        int status = response.statusCode();
        if (status / 100 == 2) {
            return new Result(Outcome.ACCEPTED, status, null, null);
        }
        if (status >= 500 || status == 429 || status == 408) {
            throw new ApiException("POST report answered " + describe(response));
        }
        JsonNode error = error(response);
        String code = error.path("code").isTextual() ? error.get("code").asText() : null;
        String message = error.path("message").isTextual() ? error.get("message").asText() : null;
        Outcome outcome = switch (status) {
            // A report names no daemon: the API knows the daemon by its credential, and 403 means the
            // run is another daemon's, not that the credential is wrong.
            case 401 -> Outcome.CREDENTIAL_REJECTED;
            case 403 -> Outcome.NOT_OURS;
            case 404 -> Outcome.UNKNOWN_RUN;
            case 409 -> Outcome.FENCED_OUT;
            default -> Outcome.REFUSED;
        };
        return new Result(outcome, status, code, message);
    }

    private HttpResponse<String> postJson(String path, ObjectNode body) throws IOException, InterruptedException {
        HttpRequest request = request(path)
                .timeout(CALL_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(api + path))
                .header("Authorization", authorization)
                .header("Accept", "application/json");
    }

    private static void checkCredential(HttpResponse<String> response) throws CredentialRejected {
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            throw new CredentialRejected(response.request().method() + " " + response.request().uri().getPath()
                    + " answered " + describe(response));
        }
    }

    private static JsonNode error(HttpResponse<String> response) {
        try {
            JsonNode body = JSON.readTree(response.body());
            return body == null ? JSON.createObjectNode() : body.path("error");
        } catch (JsonProcessingException e) {
            return JSON.createObjectNode();
        }
    }

    private static String describe(HttpResponse<String> response) {
        JsonNode error = error(response);
        StringBuilder b = new StringBuilder().append(response.statusCode());
        if (error.path("code").isTextual()) {
            b.append(' ').append(error.get("code").asText());
        }
        if (error.path("message").isTextual()) {
            b.append(" (").append(error.get("message").asText()).append(')');
        }
        return Log.oneLine(b.toString());
    }

    private static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
