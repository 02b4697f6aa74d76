package dev.runlane.localcloud.edge;

import com.sun.net.httpserver.HttpExchange;
import dev.runlane.localcloud.lambda.InvokeRejectedException;
import dev.runlane.localcloud.lambda.InvokeResult;
import dev.runlane.localcloud.lambda.LambdaService;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Lambda's Invoke API: {@code POST /2015-03-31/functions/{name|arn}/invocations}. */
final class InvokeApi {
    private static final Pattern PATH = Pattern.compile("/2015-03-31/functions/([^/]+)/invocations/?");

    private final LambdaService lambdas;

    InvokeApi(LambdaService lambdas) {
        this.lambdas = lambdas;
    }

    boolean handles(HttpExchange exchange, String rawPath) throws IOException {
        Matcher matcher = PATH.matcher(rawPath);
        if (!matcher.matches() || !"POST".equals(exchange.getRequestMethod())) {
            return false;
        }
        String function = URLDecoder.decode(matcher.group(1), StandardCharsets.UTF_8);
        String qualifier = FormParameter.of(exchange.getRequestURI().getRawQuery(), "Qualifier");
        if (qualifier != null) {
            function = function + ":" + qualifier; // a qualifier in the name as well is ignored: there are no versions here
        }
        // on every answer, errors too: moto's Step Functions fail with States.Runtime on a Lambda error without it
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        String type = exchange.getRequestHeaders().getFirst("X-Amz-Invocation-Type");
        byte[] payload = exchange.getRequestBody().readAllBytes();
        try {
            switch (type == null ? "RequestResponse" : type) {
                case "RequestResponse" -> respond(exchange, lambdas.invoke(function, payload));
                case "Event" -> {
                    lambdas.invokeAsync(function, payload);
                    Responses.send(exchange, 202, new byte[0]);
                }
                case "DryRun" -> {
                    lambdas.function(function);
                    Responses.send(exchange, 204, new byte[0]);
                }
                default -> Responses.json(exchange, 400, "InvalidParameterValueException",
                        "1 validation error detected: Value '" + type + "' at 'invocationType' failed to satisfy constraint: "
                                + "Member must satisfy enum value set: [Event, RequestResponse, DryRun]");
            }
        } catch (InvokeRejectedException e) {
            Responses.json(exchange, e.status(), e.errorType(), e.messageField(), e.getMessage());
        }
        return true;
    }

    private static void respond(HttpExchange exchange, InvokeResult result) throws IOException {
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", "application/json");
        headers.set("X-Amz-Executed-Version", "$LATEST");
        if (result.functionError() != null) {
            headers.set("X-Amz-Function-Error", result.functionError());
        }
        if ("Tail".equals(exchange.getRequestHeaders().getFirst("X-Amz-Log-Type")) && result.logResult() != null) {
            headers.set("X-Amz-Log-Result", Base64.getEncoder().encodeToString(result.logResult().getBytes(StandardCharsets.UTF_8)));
        }
        Responses.send(exchange, result.statusCode(), result.payload());
    }
}
