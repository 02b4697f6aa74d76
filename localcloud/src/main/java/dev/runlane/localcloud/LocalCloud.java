package dev.runlane.localcloud;

import dev.runlane.console.ConsoleServer;
import dev.runlane.localcloud.api.ApiFront;
import dev.runlane.localcloud.edge.Edge;
import dev.runlane.localcloud.events.ExecutionStatusRule;
import dev.runlane.localcloud.events.SqsEventSource;
import dev.runlane.localcloud.faults.Faults;
import dev.runlane.localcloud.faults.InvalidFaultException;
import dev.runlane.localcloud.lambda.FunctionSpec;
import dev.runlane.localcloud.lambda.InvokeResult;
import dev.runlane.localcloud.lambda.LambdaService;
import dev.runlane.localcloud.moto.MotoServer;
import dev.runlane.localcloud.template.Provisioner;
import dev.runlane.localcloud.template.Stack;
import dev.runlane.localcloud.template.TemplateLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Logger;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The whole stack on one machine, provisioned from template.yaml: moto, the edge, Lambda
 * sandboxes, the HTTP API, SQS event sources and the execution status rule. Usable in-process
 * (end-to-end tests) and from {@link Main}.
 */
public final class LocalCloud implements AutoCloseable {
    /**
     * @param apiPort 0 = any free port
     * @param edgePort 0 = any free port
     * @param consolePort the web console's port; 0 = any free port
     * @param workDir sandboxes' unpacked code and moto's log go here
     * @param log where progress and request lines go
     */
    private static final String LONG_POLLS_PER_CALLER = "LongPollsPerCaller";

    public record Options(Path template, Map<String, String> parameterOverrides, int apiPort, int edgePort,
            int maxSandboxesPerFunction, Path workDir, Consumer<String> log, int consolePort) {

        /** The console on any free port (tests, the bench: parallel local clouds never clash). */
        public Options(Path template, Map<String, String> parameterOverrides, int apiPort, int edgePort,
                int maxSandboxesPerFunction, Path workDir, Consumer<String> log) {
            this(template, parameterOverrides, apiPort, edgePort, maxSandboxesPerFunction, workDir, log, 0);
        }

        /** Any free ports, a temporary work directory, log lines on stderr. */
        public static Options forTests(Path template, Map<String, String> parameterOverrides) {
            return new Options(template, parameterOverrides, 0, 0, 8, null, System.err::println);
        }

        /**
         * Sandboxes per function for {@code ./runlane local} and the bench: one more than the cores. More
         * only add JVMs that wait for a core (measured by the bench on 2 cores, 50 threads x 10 runs: with
         * 8 per function 2.05 runs/s, handoff p50 3.8 s, 8.7 GB; with 3, 2.26 runs/s, 1.7 s, 4.2 GB).
         */
        public static int defaultSandboxes() {
            return Runtime.getRuntime().availableProcessors() + 1;
        }

        public Options withPorts(int api, int edge) {
            return new Options(template, parameterOverrides, api, edge, maxSandboxesPerFunction, workDir, log, consolePort);
        }
    }

    /** The local cloud cannot start; the message says why and what to do. */
    public static final class StartException extends RuntimeException {
        public StartException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private Stack stack;
    private URI apiUri;
    private URI edgeUri;
    private URI motoUri;
    private URI consoleUri;
    private Faults faults;

    private LocalCloud() {}

    public static LocalCloud start(Options options) {
        LocalCloud cloud = new LocalCloud();
        try {
            cloud.boot(options);
            return cloud;
        } catch (RuntimeException | IOException e) {
            cloud.close();
            if (e instanceof UncheckedIOException u) {
                throw new StartException(u.getMessage(), u);
            }
            throw e instanceof RuntimeException r ? r : new StartException(e.getMessage(), e);
        }
    }

    private void boot(Options options) throws IOException {
        Consumer<String> log = options.log();
        Path template = options.template().toAbsolutePath();
        int edgePort = options.edgePort() == 0 ? freePort() : requireFree(options.edgePort(), "edge", "RUNLANE_EDGE_PORT");
        if (options.apiPort() != 0) {
            requireFree(options.apiPort(), "API", "RUNLANE_API_PORT");
        }
        if (options.consolePort() != 0) {
            requireFree(options.consolePort(), "console", "RUNLANE_CONSOLE_PORT");
        }
        URI edge = URI.create("http://127.0.0.1:" + edgePort);
        stack = TemplateLoader.load(template, localCapacity(template, options), edge);
        for (Stack.Function function : stack.functions()) {
            if (!Files.isRegularFile(function.code())) {
                throw new StartException(function.logicalId() + "'s code " + function.code()
                        + " is missing: build it first (./runlane local builds it)", null);
            }
        }
        Path workDir = options.workDir() != null ? Files.createDirectories(options.workDir())
                : Files.createTempDirectory("runlane-local-");

        MotoServer moto = MotoServer.start(template.getParent().resolve("tools/moto/runlane_moto.py"), freePort(), edgePort,
                workDir.resolve("moto.log"));
        started.push(moto);
        motoUri = moto.uri();

        faults = new Faults(name -> functionNamed(stack, name), log);
        LambdaService lambdas = new LambdaService(workDir.resolve("lambda"), options.maxSandboxesPerFunction(),
                Logger.getLogger("dev.runlane.localcloud.lambda")::info, faults);
        started.push(lambdas);
        for (Stack.Function f : stack.functions()) {
            lambdas.register(new FunctionSpec(f.name(), f.arn(), f.code(), f.handler(), f.environment(), f.timeoutSeconds(), f.memoryMb(),
                    f.reservedConcurrency()));
        }
        Edge edgeServer = new Edge(edgePort, lambdas, moto.uri());
        edgeServer.start();
        started.push(edgeServer);
        edgeUri = edgeServer.uri();

        Provisioner.provision(stack, edgeUri);
        FunctionInvoker functions = invoker(lambdas);

        ApiFront api = new ApiFront(stack.routes(), stack.apiThrottle(), functions, log);
        api.start(options.apiPort());
        started.push(api);
        apiUri = api.uri();

        SqsClient sqs = AwsClients.sqs(edgeUri);
        started.push(sqs);
        for (Stack.SqsEventSource source : stack.sqsEventSources()) {
            if (source.enabled()) {
                SqsEventSource poller = new SqsEventSource(source, sqs, functions, log,
                        SqsEventSource.pollers(source, options.maxSandboxesPerFunction()));
                poller.start();
                started.push(poller);
            }
        }
        SfnClient sfn = AwsClients.sfn(edgeUri);
        started.push(sfn);
        List<String> stateMachineArns = stack.stateMachines().stream().map(Stack.StateMachine::arn).toList();
        for (Stack.StatusChangeRule rule : stack.rules()) {
            ExecutionStatusRule watcher = new ExecutionStatusRule(rule, stateMachineArns, sfn, functions, faults, log);
            watcher.start();
            started.push(watcher);
        }
        // The web console, next to the API: its API calls go to the API front, its Step Functions reads to the edge
        // (the executions of the stack's state machine only).
        ConsoleServer console = ConsoleServer.start(new ConsoleServer.Config(apiUri, edgeUri, Stack.REGION, options.consolePort(),
                stateMachineArns.isEmpty() ? null : stateMachineArns.getFirst()));
        started.push(console);
        consoleUri = console.uri();

        // Everything answers now; one sandbox per function warms in the background, two INITs at a time.
        lambdas.prewarm();
    }

    private static FunctionInvoker invoker(LambdaService lambdas) {
        return new FunctionInvoker() {
            @Override
            public Result invoke(String function, byte[] payload) {
                InvokeResult result = lambdas.invoke(function, payload);
                return new Result(result.functionError(), result.payload());
            }

            @Override
            public void invokeAsync(String function, byte[] payload) {
                lambdas.invokeAsync(function, payload);
            }
        };
    }

    /** A function named by its logical id, name or ARN (qualified or not), as faults may name it: its name. */
    static String functionNamed(Stack stack, String given) {
        String name = LambdaService.functionName(given);
        return stack.functions().stream().filter(f -> f.logicalId().equals(name) || f.name().equals(name))
                .map(Stack.Function::name).findFirst()
                .orElseThrow(() -> new InvalidFaultException("unknown function '" + given + "': name one of the template's, "
                        + stack.functions().stream().map(Stack.Function::logicalId).toList() + ", or its name or ARN"));
    }

    private static int requireFree(int port, String what, String variable) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return port;
        } catch (IOException e) {
            throw new StartException("port " + port + " (" + what + ") is busy: stop what uses it, or set " + variable
                    + " to a free port", e);
        }
    }

    /**
     * The overrides, and unless they set it, LongPollsPerCaller below the local sandboxes of a function: every local
     * caller is one (127.0.0.1), and polls holding every API sandbox would leave none to refuse the next poll or to
     * serve a start (on AWS each poll gets its own environment, so the template's default is larger).
     */
    static Map<String, String> localCapacity(Path template, Options options) {
        if (options.parameterOverrides().containsKey(LONG_POLLS_PER_CALLER)
                || !TemplateLoader.parameterNames(template).contains(LONG_POLLS_PER_CALLER)) {
            return options.parameterOverrides();
        }
        Map<String, String> overrides = new java.util.LinkedHashMap<>(options.parameterOverrides());
        overrides.put(LONG_POLLS_PER_CALLER, String.valueOf(Math.max(1, options.maxSandboxesPerFunction() - 1)));
        return overrides;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public Stack stack() {
        return stack;
    }

    /** The HTTP API (the template's HttpApi routes). */
    public URI apiUri() {
        return apiUri;
    }

    /** The AWS endpoint: Lambda here, SQS/DynamoDB/Step Functions forwarded to moto. */
    public URI edgeUri() {
        return edgeUri;
    }

    /** The web console (dev.runlane.console), serving this cloud's API and executions. */
    public URI consoleUri() {
        return consoleUri;
    }

    public URI motoUri() {
        return motoUri;
    }

    /** The faults injected into this cloud's Lambda invocations, forwarded AWS calls and status events. */
    public Faults faults() {
        return faults;
    }

    /** Stops everything it started, newest first; idempotent. */
    @Override
    public synchronized void close() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                System.err.println("runlane: while stopping: " + e);
            }
        }
    }
}
