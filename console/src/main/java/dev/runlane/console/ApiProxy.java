package dev.runlane.console;

import dev.runlane.runs.RunIds;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * Forwards the console's calls to a runlane API: only the routes the pages use, with their ids
 * checked first, and signed with SigV4 (the SDK's own signer, service execute-api) when the API is a
 * deployed, IAM-authorized stack.
 */
final class ApiProxy {
    /** The routes the pages call; {id} is a thread or run id. */
    private static final List<Route> ROUTES = List.of(
            new Route("GET", "/threads"),
            new Route("GET", "/threads/{id}"),
            new Route("GET", "/threads/{id}/runs"),
            new Route("POST", "/threads/{id}/pause"),
            new Route("POST", "/threads/{id}/resume"),
            new Route("POST", "/threads/{id}/cancel"),
            new Route("GET", "/runs/{id}"),
            new Route("GET", "/runs/{id}/events"),
            new Route("POST", "/runs/{id}/cancel"),
            new Route("POST", "/runs/{id}/rerun"));
    /** Above the API's 20 s long poll of a run's events. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    record Route(String method, String template) {
        Pattern pattern() {
            return Pattern.compile(template.replace("{id}", "([^/]*)"));
        }
    }

    /** What the proxy answers: the API's status, content type and body, or its own refusal. */
    record Answer(int status, String contentType, byte[] body) {}

    private final URI apiUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final AwsCredentialsProvider credentials;
    private final String region;

    /** @param credentials null: unsigned calls (a local cloud) */
    ApiProxy(URI apiUrl, AwsCredentialsProvider credentials, String region) {
        this.apiUrl = URI.create(apiUrl.toString().replaceAll("/+$", ""));
        this.credentials = credentials;
        this.region = region;
    }

    /** A refusal before anything is sent, or null when the route and its ids are ones the console calls. */
    static Answer refusal(String method, String path) {
        boolean pathKnown = false;
        for (Route route : ROUTES) {
            Matcher m = route.pattern().matcher(path);
            if (!m.matches()) {
                continue;
            }
            pathKnown = true;
            if (m.groupCount() == 1 && !RunIds.isValid(m.group(1))) {
                return Json.error(400, "InvalidId", "ids are " + RunIds.RULE);
            }
            if (route.method().equals(method)) {
                return null;
            }
        }
        return pathKnown ? Json.error(405, "MethodNotAllowed", method + " " + path + " is not a console call")
                : Json.error(404, "NotFound", "no console route " + path);
    }

    Answer forward(String method, String path, String rawQuery, String contentType, byte[] body)
            throws IOException, InterruptedException {
        Answer refused = refusal(method, path);
        if (refused != null) {
            return refused;
        }
        URI target = URI.create(apiUrl + path + (rawQuery == null || rawQuery.isEmpty() ? "" : "?" + rawQuery));
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(TIMEOUT)
                .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body.length > 0) {
            request.header("content-type", contentType == null ? "application/json" : contentType);
        }
        if (credentials != null) {
            sign(request, target, method, contentType, body);
        }
        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(response.statusCode(),
                response.headers().firstValue("content-type").orElse("application/json"), response.body());
    }

    /** Adds the headers the SDK's signer computes; the canonical request and signature are all the signer's. */
    private void sign(HttpRequest.Builder request, URI target, String method, String contentType, byte[] body) {
        SdkHttpRequest.Builder unsigned = SdkHttpRequest.builder().uri(target).method(SdkHttpMethod.fromValue(method));
        if (body.length > 0) {
            unsigned.putHeader("content-type", contentType == null ? "application/json" : contentType);
        }
        SignedRequest signed = signer.sign(r -> r.identity(credentials.resolveCredentials())
                .request(unsigned.build())
                .payload(ContentStreamProvider.fromByteArray(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "execute-api")
                .putProperty(AwsV4HttpSigner.REGION_NAME, region));
        signed.request().forEachHeader((name, values) -> {
            // java.net.http sets Host itself, to the same value the signer signed
            if (!name.equalsIgnoreCase("host") && !name.equalsIgnoreCase("content-type")) {
                values.forEach(value -> request.header(name, value));
            }
        });
    }

    Optional<String> region() {
        return Optional.ofNullable(region);
    }
}
