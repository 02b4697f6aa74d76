package dev.runlane.localcloud.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.runlane.localcloud.faults.Fault;
import dev.runlane.localcloud.faults.FaultKind;
import dev.runlane.localcloud.faults.Faults;
import dev.runlane.localcloud.lambda.Crash;
import dev.runlane.localcloud.lambda.LambdaService;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * The single AWS endpoint of the local cloud: serves the Lambda Invoke API, the Lambda Runtime API for the sandboxes
 * the fault injection admin API ({@code /_runlane/faults}), the request counts ({@code /_runlane/requests},
 * for the benchmark's bill) and each function's recent invocations with their AWS calls
 * ({@code /_runlane/invocations}); forwards every other request to moto unchanged, or answers it with the AWS
 * error of an awsError fault, or never (a crash fault). Bound to the loopback interface only.
 */
public final class Edge implements AutoCloseable {
    static final Logger LOG = Logger.getLogger("dev.runlane.localcloud.edge");

    private final int port;
    private final LambdaService lambdas;
    private final InvokeApi invokeApi;
    private final RuntimeApi runtimeApi;
    private final FaultsApi faultsApi;
    private final InvocationsApi invocationsApi;
    private final Faults faults;
    private final MotoForwarder moto;
    private final RequestCounts requestCounts = new RequestCounts();
    private HttpServer server;
    private ExecutorService executor;

    /** @param port 0 for any free port (see {@link #uri()}); the faults are the Lambda service's */
    public Edge(int port, LambdaService lambdas, URI moto) {
        this.port = port;
        this.lambdas = lambdas;
        this.invokeApi = new InvokeApi(lambdas);
        this.runtimeApi = new RuntimeApi(lambdas);
        this.faults = lambdas.faults();
        this.faultsApi = new FaultsApi(faults);
        this.invocationsApi = new InvocationsApi(lambdas);
        this.moto = new MotoForwarder(moto);
    }

    /** Binds the port and tells the Lambda service where its sandboxes find the Runtime API. */
    public void start() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port + " (is the port busy?)", e);
        }
        // Runtime API long polls and Step Functions' synchronous invokes each hold a thread: one virtual thread per request.
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        lambdas.attachRuntimeApi("127.0.0.1:" + server.getAddress().getPort());
    }

    public URI uri() {
        if (server == null) {
            throw new IllegalStateException("edge not started");
        }
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            if (!(runtimeApi.handles(exchange, path) || invokeApi.handles(exchange, path)
                    || requestCounts.handles(exchange, path) || invocationsApi.handles(exchange, path)
                    || faultsApi.handles(exchange, path))) {
                forward(exchange);
            }
        } catch (IOException e) {
            // the client or moto hung up: nothing to answer
            LOG.fine(() -> "edge: " + exchange.getRequestMethod() + " " + exchange.getRequestURI() + ": " + e);
        } catch (RuntimeException e) {
            LOG.warning("edge: " + exchange.getRequestMethod() + " " + exchange.getRequestURI() + " failed: " + e);
            try {
                Responses.json(exchange, 500, "ServiceException", e.toString());
            } catch (RuntimeException alreadyAnswered) {
                // headers were sent before the failure: closing the exchange is all that is left
            }
        }
    }

    /**
     * To moto, unless an awsError fault answers for it. A sandbox's call is counted in its invocation; a crash fault
     * on it kills the sandbox before the call goes on, or after moto applied it, and the call is never answered.
     */
    private void forward(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        Optional<AwsRequest> request = AwsRequest.of(exchange, body);
        request.ifPresent(requestCounts::count);
        Optional<Crash> crash = request.flatMap(r -> lambdas.awsCall(r.accessKeyId(), r.name()));
        if (crash.isPresent() && crash.get().when() == Fault.When.BEFORE) {
            crash.get().strike();
            return;
        }
        Optional<Fault> fault = request.flatMap(r -> faults.fire(r.name(), FaultKind.AWS_ERROR));
        if (crash.isPresent()) {
            try {
                if (fault.isEmpty()) {
                    moto.call(exchange, body); // applied; its answer dies with the sandbox
                }
            } finally {
                crash.get().strike();
            }
        } else if (fault.isPresent()) {
            AwsErrorResponse.send(exchange, request.get(), fault.get());
        } else {
            moto.forward(exchange, body);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
        moto.close();
    }
}
