package dev.runlane.localcloud.edge;

import com.sun.net.httpserver.HttpExchange;
import dev.runlane.localcloud.lambda.LambdaService;
import dev.runlane.localcloud.lambda.NextInvocation;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lambda's Runtime API for the sandboxes. Each sandbox's AWS_LAMBDA_RUNTIME_API is {@code 127.0.0.1:PORT/sandbox/ID}
 * (the runtime client prefixes it to its paths), so every call names the sandbox making it.
 */
final class RuntimeApi {
    private static final Pattern PATH = Pattern.compile(
            "/sandbox/([^/]+)/2018-06-01/runtime/(invocation/next|invocation/([^/]+)/(response|error)|init/error)");
    private static final String ACCEPTED = "{\"status\":\"OK\"}";

    private final LambdaService lambdas;

    RuntimeApi(LambdaService lambdas) {
        this.lambdas = lambdas;
    }

    boolean handles(HttpExchange exchange, String rawPath) throws IOException {
        Matcher matcher = PATH.matcher(rawPath);
        if (!matcher.matches()) {
            return false;
        }
        String sandbox = matcher.group(1);
        String errorType = exchange.getRequestHeaders().getFirst("Lambda-Runtime-Function-Error-Type");
        byte[] body = exchange.getRequestBody().readAllBytes();
        if (matcher.group(2).equals("invocation/next")) {
            next(exchange, sandbox);
        } else if (matcher.group(2).equals("init/error")) {
            accepted(exchange, lambdas.postInitError(sandbox, body, errorType));
        } else if (matcher.group(4).equals("response")) {
            accepted(exchange, lambdas.postResponse(sandbox, matcher.group(3), body));
        } else {
            accepted(exchange, lambdas.postError(sandbox, matcher.group(3), body, errorType));
        }
        return true;
    }

    private void next(HttpExchange exchange, String sandbox) throws IOException {
        NextInvocation next;
        try {
            next = lambdas.awaitNext(sandbox);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (next == null) {
            Responses.status(exchange, 410, "{\"errorMessage\":\"sandbox is gone\",\"errorType\":\"Runtime.Gone\"}");
            return;
        }
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", "application/json");
        headers.set("Lambda-Runtime-Aws-Request-Id", next.requestId());
        headers.set("Lambda-Runtime-Deadline-Ms", Long.toString(next.deadlineMs()));
        headers.set("Lambda-Runtime-Invoked-Function-Arn", next.functionArn());
        // the runtime client's native part crashes (SIGSEGV) without a trace id
        headers.set("Lambda-Runtime-Trace-Id", next.traceId());
        Responses.send(exchange, 200, next.payload());
    }

    private static void accepted(HttpExchange exchange, boolean known) throws IOException {
        if (known) {
            Responses.status(exchange, 202, ACCEPTED);
        } else {
            Responses.status(exchange, 400, "{\"errorMessage\":\"unknown or finished invocation\",\"errorType\":\"InvalidRequestID\"}");
        }
    }
}
