package dev.runlane.console;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sfn.SfnClient;

/**
 * The web console: its static files (built by Vite into the jar), {@code /api/...} forwarded to a
 * runlane API, and {@code /sfn/execution?executionArn=...} for the run graph. Bound to 127.0.0.1
 * only: it carries the caller's AWS credentials to a deployed stack, so it obeys its own pages only
 * (see {@link #refusal}).
 */
public final class ConsoleServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ConsoleServer.class.getName());
    private static final int MAX_BODY = 64 * 1024;
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml", "png", "image/png", "ico", "image/x-icon", "json", "application/json");
    /** The header the pages send the launch's token in: another origin can send it only after a CORS preflight, never allowed. */
    static final String TOKEN_HEADER = "X-Runlane-Token";
    static final Pattern STATE_MACHINE_ARN = Pattern.compile(
            "arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]{1,80}");

    /**
     * @param apiUrl the runlane API
     * @param awsEndpoint where Step Functions calls go: a local cloud's edge (then nothing is signed
     *        and the page links to no AWS console), or null for AWS itself (API calls SigV4-signed)
     * @param region the stack's region
     * @param port 0 = any free port
     * @param stateMachineArn the stack's run state machine: the only one whose executions /sfn reads
     *        (null: a stack without one, /sfn reads none)
     */
    public record Config(URI apiUrl, URI awsEndpoint, String region, int port, String stateMachineArn) {
        public Config {
            if (stateMachineArn != null && !STATE_MACHINE_ARN.matcher(stateMachineArn).matches()) {
                throw new IllegalArgumentException("not a Step Functions state machine ARN: " + stateMachineArn);
            }
        }

        public boolean local() {
            return awsEndpoint != null;
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final SfnClient sfn;
    private final ApiProxy api;
    private final ExecutionGraph graph;
    private final Config config;
    /** Per launch; the served index.html carries it, and every /api and /sfn call must send it back. */
    private final String token;

    private ConsoleServer(Config config) throws IOException {
        this.config = config;
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        token = HexFormat.of().formatHex(random);
        AwsCredentialsProvider credentials = config.local()
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"))
                : DefaultCredentialsProvider.builder().build();
        var builder = SfnClient.builder().region(Region.of(config.region())).credentialsProvider(credentials)
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(30)).build());
        if (config.local()) {
            builder.endpointOverride(config.awsEndpoint());
        }
        sfn = builder.build();
        api = new ApiProxy(config.apiUrl(), config.local() ? null : credentials, config.region());
        graph = new ExecutionGraph(sfn, config.local(), config.stateMachineArn());
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), config.port()), 64);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    public static ConsoleServer start(Config config) throws IOException {
        ConsoleServer console = new ConsoleServer(config);
        console.server.start();
        return console;
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The launch's token, as the served index.html carries it. */
    String token() {
        return token;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            ApiProxy.Answer refused = refusal(exchange.getRequestHeaders(), method, path);
            ApiProxy.Answer answer;
            try {
                if (refused != null) {
                    answer = refused; // nothing forwarded, nothing read
                } else if (path.startsWith("/api/")) {
                    byte[] body = readBody(exchange.getRequestBody());
                    answer = body == null ? Json.error(413, "PayloadTooLarge", "a console call's body is at most " + MAX_BODY + " bytes")
                            : api.forward(method, path.substring("/api".length()), exchange.getRequestURI().getRawQuery(),
                                    exchange.getRequestHeaders().getFirst("content-type"), body);
                } else if (path.equals("/sfn/execution")) {
                    answer = method.equals("GET") ? graph.read(query(exchange.getRequestURI().getRawQuery(), "executionArn"))
                            : Json.error(405, "MethodNotAllowed", "GET only");
                } else if (path.equals("/config.json")) {
                    answer = Json.of(200, Map.of("local", config.local(), "region", config.region()));
                } else {
                    answer = method.equals("GET") || method.equals("HEAD") ? staticFile(path, token)
                            : Json.error(405, "MethodNotAllowed", "GET only");
                }
            } catch (IOException | RuntimeException e) {
                // the reason in the log; the page gets a JSON error, never a stack trace
                LOG.log(Level.WARNING, "console: " + method + " " + path + " failed: " + e);
                answer = Json.error(502, "UpstreamError", "the API or Step Functions could not be read: " + e.getClass().getSimpleName());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            exchange.getResponseHeaders().set("content-type", answer.contentType());
            exchange.getResponseHeaders().set("cache-control", "no-store");
            exchange.getResponseHeaders().set("x-content-type-options", "nosniff");
            exchange.getResponseHeaders().set("x-frame-options", "DENY"); // no other page frames the console's buttons
            boolean empty = method.equals("HEAD") || answer.body().length == 0;
            exchange.sendResponseHeaders(answer.status(), empty ? -1 : answer.body().length);
            if (!empty) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer.body());
                }
            }
        }
    }

    /**
     * Why a request is refused before anything is forwarded or read, or null. Any web page open in
     * the user's browser can send requests to 127.0.0.1, and the console signs what it forwards with
     * the user's AWS credentials, so: the Host must be the console's own (else a DNS-rebound name
     * reaches it as a same-origin page), an Origin must be its own, and an /api or /sfn call must carry
     * the launch's token in {@link #TOKEN_HEADER} (only a page served here holds it; another origin can
     * neither read it nor send the header without a CORS preflight, which is never allowed) and, past
     * a GET, a JSON body (a form or text/plain POST needs no preflight).
     */
    private ApiProxy.Answer refusal(Headers headers, String method, String path) {
        int port = server.getAddress().getPort();
        String host = headers.getFirst("host");
        if (host == null || !Set.of("127.0.0.1:" + port, "localhost:" + port).contains(host.toLowerCase(Locale.ROOT))) {
            return Json.error(403, "ForbiddenHost", "the console answers to 127.0.0.1:" + port + " and localhost:" + port + " only");
        }
        String origin = headers.getFirst("origin");
        if (origin != null && !Set.of("http://127.0.0.1:" + port, "http://localhost:" + port).contains(origin.toLowerCase(Locale.ROOT))) {
            return Json.error(403, "ForbiddenOrigin", "the console answers its own pages only, not another origin's");
        }
        if (!path.startsWith("/api/") && !path.startsWith("/sfn/")) {
            return null;
        }
        String given = headers.getFirst(TOKEN_HEADER);
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            return Json.error(403, "InvalidToken", "a console call carries this launch's " + TOKEN_HEADER + ", which its pages hold");
        }
        String contentType = headers.getFirst("content-type");
        if (!method.equals("GET") && !method.equals("HEAD")
                && (contentType == null || !contentType.split(";")[0].strip().equalsIgnoreCase("application/json"))) {
            return Json.error(415, "UnsupportedMediaType", "a console call's body is application/json");
        }
        return null;
    }

    /** The body, or null past MAX_BODY. */
    private static byte[] readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY + 1);
        return body.length > MAX_BODY ? null : body;
    }

    private static String query(String rawQuery, String name) {
        if (rawQuery == null) {
            return null;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** The built app's files; the pages route by the URL's fragment, so every other path is a 404. */
    private static ApiProxy.Answer staticFile(String path, String token) throws IOException {
        String name = path.equals("/") ? "/index.html" : path;
        if (!name.matches("(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+")) {
            return Json.error(404, "NotFound", "no such file");
        }
        try (InputStream in = ConsoleServer.class.getResourceAsStream("/console" + name)) {
            if (in == null) {
                return name.equals("/index.html")
                        ? new ApiProxy.Answer(503, "text/plain; charset=utf-8",
                                "The console's web app is not built: mvn -pl console package builds it.\n".getBytes(StandardCharsets.UTF_8))
                        : Json.error(404, "NotFound", "no such file");
            }
            String extension = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
            byte[] body = in.readAllBytes();
            return new ApiProxy.Answer(200, CONTENT_TYPES.getOrDefault(extension, "application/octet-stream"),
                    name.equals("/index.html") ? withToken(body, token) : body);
        }
    }

    /** index.html with the launch's token in {@code <meta name="runlane-token">}, which api.ts sends back. */
    static byte[] withToken(byte[] html, String token) {
        return new String(html, StandardCharsets.UTF_8)
                .replaceFirst("<head>", "<head>\n    <meta name=\"runlane-token\" content=\"" + token + "\" />")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        sfn.close();
    }

    private static final String USAGE = """
            usage: runlane console --api-url URL --state-machine-arn ARN [--region R] [--port N] [--aws-endpoint URL]
              --api-url            the runlane API (a deployed stack's ApiUrl Output; its calls are SigV4-signed)
              --state-machine-arn  the stack's RunStateMachineArn Output: the run graph reads its executions only
              --region             the stack's region (default: $AWS_REGION, else the region in the API's host name, else us-east-1)
              --port               the console's port on 127.0.0.1 (default: $RUNLANE_CONSOLE_PORT or 3001)
              --aws-endpoint       a local cloud's AWS endpoint (its edge): nothing is signed, no AWS console links
            Credentials: the AWS SDK's default chain (environment, profile, SSO, role).
            """;

    public static void main(String[] args) throws IOException {
        URI apiUrl = null;
        URI awsEndpoint = null;
        String region = null;
        String stateMachineArn = null;
        String envPort = System.getenv("RUNLANE_CONSOLE_PORT");
        int port = envPort == null || envPort.isBlank() ? 3001 : Integer.parseInt(envPort.strip());
        Config config;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--api-url" -> apiUrl = URI.create(value(args, ++i));
                    case "--aws-endpoint" -> awsEndpoint = URI.create(value(args, ++i));
                    case "--region" -> region = value(args, ++i);
                    case "--state-machine-arn" -> stateMachineArn = value(args, ++i);
                    case "--port" -> port = Integer.parseInt(value(args, ++i));
                    case "-h", "--help" -> {
                        System.out.print(USAGE);
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (apiUrl == null) {
                throw new IllegalArgumentException("--api-url is required");
            }
            if (stateMachineArn == null) {
                throw new IllegalArgumentException("--state-machine-arn is required (the stack's RunStateMachineArn Output)");
            }
            config = new Config(apiUrl, awsEndpoint, region != null ? region : regionOf(apiUrl), port, stateMachineArn);
        } catch (IllegalArgumentException e) {
            System.err.println("runlane console: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        ConsoleServer console = start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(console::close, "console-stop"));
        System.out.printf("runlane console: %s  (API %s%s)%n", console.uri(), apiUrl,
                awsEndpoint == null ? ", SigV4-signed" : ", local, unsigned");
    }

    /** AWS_REGION, else the region of an execute-api host name, else us-east-1 (a local cloud's). */
    static String regionOf(URI apiUrl) {
        String env = System.getenv("AWS_REGION");
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        var host = java.util.regex.Pattern.compile("^[^.]+\\.execute-api\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?$")
                .matcher(apiUrl.getHost() == null ? "" : apiUrl.getHost().toLowerCase(Locale.ROOT));
        return host.matches() ? host.group(1) : "us-east-1";
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
