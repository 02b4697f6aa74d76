package dev.runlane.localcloud.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.FunctionInvoker;
import dev.runlane.localcloud.template.Stack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The template's HttpApi routes on 127.0.0.1, each request a synchronous payload 2.0 invocation.
 *
 * <p>HTTP/1.1 is Jetty's; what it refuses (a request line or header it cannot parse, bad framing) and what the
 * front refuses (a target API Gateway would not take, a body over the limit or that stalls) is answered as API
 * Gateway answers: a JSON {"message":...}, 413 for a body over the limit, else 400 — never HTML, never a 5xx.
 */
public final class ApiFront implements AutoCloseable {
    /** API Gateway's request payload limit. */
    static final int MAX_BODY_BYTES = 10 * 1024 * 1024;
    /**
     * The request line and headers together. API Gateway's HTTP API quota is 10240 bytes of request line and header
     * values; Jetty counts whole lines (names, separators, line ends) too, so the front allows a little more rather
     * than refuse a request API Gateway takes.
     */
    static final int MAX_HEADER_BYTES = 16 * 1024;
    /**
     * Once a request's headers are in: how long its body may stall (no byte arriving) before the front answers 400
     * and closes the connection, and how long a response write may stall. A function's run is not bounded by it.
     */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How long a connection may sit without a byte arriving between requests, or in a request line or headers
     * that stopped arriving (a stalled header is closed unanswered, as it is not a request yet).
     */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);
    /** Framing headers the front sets itself; a function's values for them are dropped. */
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Jetty logs through SLF4J to java.util.logging; its start and stop lines would only repeat the front's log. */
    private static final Logger JETTY_LOG = Logger.getLogger("org.eclipse.jetty");

    static {
        JETTY_LOG.setLevel(Level.WARNING);
    }

    private final Routes routes;
    private final FunctionInvoker functions;
    private final Consumer<String> log;
    private final String apiId;
    /** The stage's default route throttling, or null when the template sets none; one bucket per route, as on AWS. */
    private final Stack.ApiThrottle throttle;
    private final Map<String, StageThrottle> buckets = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private Server server;
    private ServerConnector connector;

    public ApiFront(List<Stack.Route> routes, FunctionInvoker functions, Consumer<String> log) {
        this(routes, null, functions, log);
    }

    /** @param throttle the stage's DefaultRouteSettings throttling, null for none */
    public ApiFront(List<Stack.Route> routes, Stack.ApiThrottle throttle, FunctionInvoker functions, Consumer<String> log) {
        this.throttle = throttle;
        this.routes = new Routes(routes);
        this.functions = functions;
        this.log = log;
        this.apiId = "local";
    }

    /** Binds 127.0.0.1:port (0 = any free port). */
    public void start(int port) throws IOException {
        // Jetty's pool only selects and parses; each request is handled on a virtual thread, as a function
        // call (a long poll) may take many seconds.
        QueuedThreadPool threads = new QueuedThreadPool(8, 2);
        threads.setName("api-front");
        threads.setVirtualThreadsExecutor(executor);
        server = new Server(threads);

        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(MAX_HEADER_BYTES);
        http.setResponseHeaderSize(MAX_HEADER_BYTES); // a function's headers (cookies) too
        http.setIdleTimeout(READ_TIMEOUT.toMillis());
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        // Jetty lets every path through; RequestTarget decides, as API Gateway would, what is malformed
        http.setUriCompliance(UriCompliance.UNSAFE);

        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        connector.setAcceptQueueSize(128);
        server.addConnector(connector);
        server.setHandler(new Front());
        server.setErrorHandler(this::refuse);
        try {
            server.start();
        } catch (Exception e) {
            close();
            throw e instanceof IOException io ? io : new IOException("the API front did not start on port " + port, e);
        }
        log.accept("api: IAM auth is not enforced locally; requests are not signed or checked");
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    /** Serves one request that Jetty could parse. */
    private final class Front extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            long started = System.nanoTime();
            // A function may run for many seconds: the read timeout bounds reads and writes, not the handler.
            request.addIdleTimeoutListener(timeout -> false);
            String method = request.getMethod().toUpperCase(Locale.ROOT);
            String rawPath = request.getHttpURI().getPath();
            HttpApiResponse answer;
            try {
                answer = respond(request, method);
            } catch (MalformedRequest e) {
                log.accept("api: " + method + " " + rawPath + ": refused: " + e.getMessage());
                answer = HttpApiResponse.badRequest().closing();
            } catch (RuntimeException e) {
                log.accept("api: " + method + " " + rawPath + ": " + e);
                answer = HttpApiResponse.internalServerError();
            }
            send(response, callback, answer, method.equals("HEAD"));
            log.accept(String.format("api: %s %s -> %d (%d ms)", method, rawPath, answer.status(),
                    (System.nanoTime() - started) / 1_000_000));
            return true;
        }
    }

    private HttpApiResponse respond(Request request, String method) {
        HttpURI uri = request.getHttpURI();
        RequestTarget.checkPath(uri.getPath());
        RequestTarget.checkQuery(uri.getQuery());
        if (uri.getFragment() != null) {
            throw new MalformedRequest("the request target has a fragment");
        }
        checkFraming(request.getHeaders());
        if (request.getLength() > MAX_BODY_BYTES) {
            return HttpApiResponse.tooLarge().closing(); // refused before a byte of the body is read
        }
        Optional<Routes.Match> match = routes.match(method, uri.getPath());
        byte[] body = readBody(request);
        if (body == null) {
            return HttpApiResponse.tooLarge().closing();
        }
        if (match.isEmpty()) {
            return HttpApiResponse.message(404, "Not Found");
        }
        if (throttle != null && !buckets.computeIfAbsent(match.get().route().routeKey(),
                route -> new StageThrottle(throttle, System.nanoTime())).admit(System.nanoTime())) {
            return HttpApiResponse.tooManyRequests();
        }
        HttpApiEvent.Request event = new HttpApiEvent.Request(method, uri.getPath(), uri.getQuery(),
                headers(request.getHeaders()), body, Request.getRemoteAddr(request),
                request.getConnectionMetaData().getProtocol());
        var payload = HttpApiEvent.build(event, match.get(), apiId, UUID.randomUUID().toString(), Instant.now());
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(payload);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the event", e);
        }
        return HttpApiResponse.from(functions.invoke(match.get().route().functionName(), bytes));
    }

    /** Jetty has refused what it cannot frame; a transfer coding other than chunked is refused here. */
    private static void checkFraming(HttpFields headers) {
        List<String> codings = headers.getValuesList(HttpHeader.TRANSFER_ENCODING);
        if (codings.isEmpty()) {
            return;
        }
        if (codings.size() > 1 || !codings.getFirst().strip().equalsIgnoreCase("chunked")) {
            throw new MalformedRequest("unsupported transfer coding " + codings);
        }
        if (headers.contains(HttpHeader.CONTENT_LENGTH)) {
            throw new MalformedRequest("both Content-Length and Transfer-Encoding");
        }
    }

    /** Header names as received, each with all its values. */
    private static Map<String, List<String>> headers(HttpFields fields) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (HttpField field : fields) {
            headers.computeIfAbsent(field.getName(), name -> new ArrayList<>()).add(field.getValue());
        }
        return headers;
    }

    /**
     * The body, or null when it exceeds the limit (reading stops there). One that stalls past the read timeout or
     * breaks off is malformed.
     */
    private static byte[] readBody(Request request) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                try (Blocker.Runnable more = Blocker.runnable()) {
                    request.demand(more);
                    more.block();
                } catch (IOException e) {
                    throw new MalformedRequest("the body broke off: " + e.getMessage());
                }
                continue;
            }
            if (Content.Chunk.isFailure(chunk)) {
                Throwable failure = chunk.getFailure();
                throw new MalformedRequest(failure instanceof TimeoutException
                        ? "the body stalled for " + READ_TIMEOUT.toSeconds() + " s"
                        : "the body broke off: " + failure.getMessage());
            }
            ByteBuffer bytes = chunk.getByteBuffer();
            boolean over = body.size() + bytes.remaining() > MAX_BODY_BYTES;
            if (!over) {
                byte[] copy = new byte[bytes.remaining()];
                bytes.get(copy);
                body.writeBytes(copy);
            }
            chunk.release();
            if (over) {
                return null;
            }
            if (chunk.isLast()) {
                return body.toByteArray();
            }
        }
    }

    /**
     * Jetty's error handler: a request it could not parse or frame, a connection that failed, or a failure outside
     * {@link Front}. A client's error is 400 (413 for a body over the limit) even where Jetty would say 414, 417,
     * 431, 501 or 505, as it is not known what API Gateway says there; only the front's own failure is a 500.
     */
    private boolean refuse(Request request, Response response, Callback callback) {
        int status = response.getStatus();
        Throwable cause = (Throwable) request.getAttribute(ErrorHandler.ERROR_EXCEPTION);
        HttpApiResponse answer;
        if (status == 413) {
            answer = HttpApiResponse.tooLarge();
        } else if (status < 500 || cause instanceof HttpException || cause instanceof IOException
                || cause instanceof TimeoutException) {
            answer = HttpApiResponse.badRequest();
        } else {
            answer = HttpApiResponse.internalServerError();
        }
        StringBuilder reason = new StringBuilder().append(request.getAttribute(ErrorHandler.ERROR_MESSAGE));
        for (Throwable t = cause; t != null; t = t.getCause()) {
            reason.append(" / ").append(t);
        }
        log.accept(String.format("api: %s %s: %d %s -> %d", request.getMethod(), request.getHttpURI().getPath(), status,
                reason, answer.status()));
        send(response, callback, answer.closing(), "HEAD".equalsIgnoreCase(request.getMethod()));
        return true;
    }

    private static void send(Response response, Callback callback, HttpApiResponse answer, boolean head) {
        response.setStatus(answer.status());
        HttpFields.Mutable headers = response.getHeaders();
        answer.headers().forEach((name, values) -> {
            if (!FRAMING.contains(name.toLowerCase(Locale.ROOT))) {
                headers.remove(name); // e.g. the Connection: close Jetty has set on an error, not to send it twice
                values.forEach(value -> headers.add(name, value));
            }
        });
        boolean noBody = answer.body().length == 0 || head || answer.status() == 204 || answer.status() == 304;
        response.write(true, noBody ? null : ByteBuffer.wrap(answer.body()), callback);
    }

    @Override
    public void close() {
        if (server != null) {
            try {
                server.stop();
            } catch (Exception e) {
                log.accept("api: stopping the front: " + e);
            }
        }
        executor.shutdownNow();
    }
}
