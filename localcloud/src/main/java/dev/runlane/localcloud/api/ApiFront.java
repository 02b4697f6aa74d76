package dev.runlane.localcloud.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.runlane.localcloud.FunctionInvoker;
import dev.runlane.localcloud.template.Stack;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/** The template's HttpApi routes on 127.0.0.1, each request a synchronous payload 2.0 invocation. */
public final class ApiFront implements AutoCloseable {
    /** API Gateway's request payload limit. */
    static final int MAX_BODY_BYTES = 10 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Routes routes;
    private final FunctionInvoker functions;
    private final Consumer<String> log;
    private final String apiId;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private HttpServer server;

    public ApiFront(List<Stack.Route> routes, FunctionInvoker functions, Consumer<String> log) {
        this.routes = new Routes(routes);
        this.functions = functions;
        this.log = log;
        this.apiId = "local";
    }

    /** Binds 127.0.0.1:port (0 = any free port). */
    public void start(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        log.accept("api: IAM auth is not enforced locally; requests are not signed or checked");
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange exchange) throws IOException {
        long started = System.nanoTime();
        HttpApiResponse response;
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        URI uri = exchange.getRequestURI();
        try {
            response = respond(exchange, method, uri);
        } catch (RuntimeException e) {
            log.accept("api: " + method + " " + uri.getRawPath() + ": " + e);
            response = HttpApiResponse.internalServerError();
        }
        send(exchange, response);
        log.accept(String.format("api: %s %s -> %d (%d ms)", method, uri.getRawPath(), response.status(),
                (System.nanoTime() - started) / 1_000_000));
    }

    private HttpApiResponse respond(HttpExchange exchange, String method, URI uri) throws IOException {
        Optional<Routes.Match> match = routes.match(method, uri.getRawPath());
        String declaredLength = exchange.getRequestHeaders().getFirst("content-length");
        if (declaredLength != null && Long.parseLong(declaredLength.strip()) > MAX_BODY_BYTES) {
            return HttpApiResponse.message(413, "Request Entity Too Large");
        }
        byte[] body = readBody(exchange.getRequestBody());
        if (body == null) {
            return HttpApiResponse.message(413, "Request Entity Too Large");
        }
        if (match.isEmpty()) {
            return HttpApiResponse.message(404, "Not Found");
        }
        HttpApiEvent.Request request = new HttpApiEvent.Request(method, uri.getRawPath(), uri.getRawQuery(),
                exchange.getRequestHeaders(), body, exchange.getRemoteAddress().getAddress().getHostAddress(),
                exchange.getProtocol());
        var event = HttpApiEvent.build(request, match.get(), apiId, UUID.randomUUID().toString(), Instant.now());
        FunctionInvoker.Result result = functions.invoke(match.get().route().functionName(), JSON.writeValueAsBytes(event));
        return HttpApiResponse.from(result);
    }

    /** The body, or null when it exceeds the limit. */
    private static byte[] readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
        if (body.length > MAX_BODY_BYTES) {
            in.skip(Long.MAX_VALUE);
            return null;
        }
        return body;
    }

    private static void send(HttpExchange exchange, HttpApiResponse response) throws IOException {
        for (Map.Entry<String, List<String>> header : response.headers().entrySet()) {
            if (!header.getKey().equalsIgnoreCase("content-length")) {
                exchange.getResponseHeaders().put(header.getKey(), header.getValue());
            }
        }
        boolean noBody = response.body().length == 0 || exchange.getRequestMethod().equalsIgnoreCase("HEAD")
                || response.status() == 204 || response.status() == 304;
        exchange.sendResponseHeaders(response.status(), noBody ? -1 : response.body().length);
        if (!noBody) {
            exchange.getResponseBody().write(response.body());
        }
        exchange.close();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        executor.shutdownNow();
    }
}
