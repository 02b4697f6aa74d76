package dev.runlane.localcloud.edge;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Forwards a request to moto as it came (method, raw path and query, headers including Host and the signature, body)
 * and returns moto's answer as it came (status, headers but the per-connection ones, body), on the JDK HttpClient.
 *
 * <p>moto must see the client's Host, not its own address: it builds SQS queue URLs from it (they must keep pointing at
 * the edge), routes by it, and SigV4 signatures cover it. The JDK client sends a caller's Host header only if the
 * {@code jdk.httpclient.allowRestrictedHeaders} property names it when the client's internals initialise, once per JVM.
 * Where an HttpClient was used before (the local cloud's moto startup check, tests), it is too late for that: the
 * request then goes out in proxy form, {@code POST http://<client's Host>/path HTTP/1.1} to moto as the proxy, which
 * makes the JDK send the client's Host itself (moto's server takes the request target's authority as the Host).
 */
final class MotoForwarder implements AutoCloseable {
    private static final String ALLOW_RESTRICTED_HEADERS = "jdk.httpclient.allowRestrictedHeaders";

    static {
        // Lets the JDK client send the client's Host header (see above). Read when the JDK client first initialises, so it
        // takes effect only if no HttpClient was used in this JVM yet; a value set on the command line is left alone.
        if (System.getProperty(ALLOW_RESTRICTED_HEADERS) == null) {
            System.setProperty(ALLOW_RESTRICTED_HEADERS, "host");
        }
    }

    /** Per-connection headers, which the two hops negotiate each on their own. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "content-length", "expect");
    /** Above the longest AWS long poll (SQS ReceiveMessage waits up to 20 s, Step Functions GetActivityTask up to 60 s). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(70);

    private final URI moto;
    /** Whether the JDK client takes a Host header; if not, requests go to moto in proxy form */
    private final boolean hostHeader;
    private final HttpClient client;

    MotoForwarder(URI moto) {
        this.moto = moto;
        this.hostHeader = hostHeaderAllowed();
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade attempt: moto speaks HTTP/1.1
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10));
        if (!hostHeader) {
            builder.proxy(ProxySelector.of(new InetSocketAddress(moto.getHost(), moto.getPort())));
        }
        this.client = builder.build();
    }

    /** Whether the forwarded request carries the client's Host as a header (else through the proxy form); for tests */
    boolean sendsHostHeader() {
        return hostHeader;
    }

    /** @param body the request's body, already read */
    void forward(HttpExchange exchange, byte[] body) throws IOException {
        relay(exchange, call(exchange, body));
    }

    /** Sends the request to moto and returns its answer, without answering the client yet. */
    HttpResponse<byte[]> call(HttpExchange exchange, byte[] body) throws IOException {
        URI uri = exchange.getRequestURI();
        String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String host = exchange.getRequestHeaders().getFirst("Host");
        // Content-Length follows the body, always sent (0 included) as before; Connection and Expect are the JDK's own.
        HttpRequest.Builder request = HttpRequest.newBuilder(hostHeader ? atMoto(target) : proxyTarget(host, target))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body))
                .timeout(REQUEST_TIMEOUT);
        for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
            String lower = header.getKey().toLowerCase();
            if (!HOP_BY_HOP.contains(lower) && (hostHeader || !lower.equals("host"))) {
                header.getValue().forEach(value -> request.header(header.getKey(), value));
            }
        }

        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) { // the edge is closing
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while forwarding to moto");
        }
    }

    /** Answers the client with moto's answer as it came. */
    void relay(HttpExchange exchange, HttpResponse<byte[]> response) throws IOException {
        response.headers().map().forEach((name, values) -> {
            String lower = name.toLowerCase();
            if (!HOP_BY_HOP.contains(lower) && !lower.equals("date")) { // the edge's server sets Date itself
                values.forEach(value -> exchange.getResponseHeaders().add(name, value));
            }
        });
        Responses.send(exchange, response.statusCode(), response.body()); // HEAD, 204 and 304 come with an empty body
    }

    /** The request's absolute URI with the client's Host as its authority; moto's own without a usable Host. */
    private URI proxyTarget(String host, String target) {
        if (host != null) {
            try {
                URI absolute = URI.create("http://" + host + target);
                if (absolute.getHost() != null && absolute.getRawUserInfo() == null) {
                    return absolute;
                }
            } catch (IllegalArgumentException e) {
                // not a host[:port]: moto gets its own address
            }
        }
        return atMoto(target);
    }

    /** The target as it came (not resolved: a path may start with //) on moto's address */
    private URI atMoto(String target) {
        return URI.create("http://" + moto.getRawAuthority() + target);
    }

    private static boolean hostHeaderAllowed() {
        try {
            HttpRequest.newBuilder().header("Host", "probe");
            return true;
        } catch (IllegalArgumentException restricted) {
            return false;
        }
    }

    /** Ends the requests in flight. */
    @Override
    public void close() {
        client.shutdownNow();
    }
}
