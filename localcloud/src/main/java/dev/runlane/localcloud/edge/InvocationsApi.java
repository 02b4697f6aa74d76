package dev.runlane.localcloud.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.runlane.localcloud.faults.InvalidFaultException;
import dev.runlane.localcloud.lambda.FunctionNotFoundException;
import dev.runlane.localcloud.lambda.LambdaService;
import java.io.IOException;
import java.util.Map;

/**
 * {@code GET /_runlane/invocations?function=ApiFunction&last=5}: a function's recent invocations (the last 20 are
 * kept), oldest first, each with its request id, state and the AWS calls it made in order, e.g.
 * {@code ["dynamodb:GetItem","sqs:SendMessage"]}. A crash sweep runs an operation once, reads how many calls it
 * made, then crashes it at each. Read-only; the function is named by logical id, name or ARN, as faults name it.
 */
final class InvocationsApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LambdaService lambdas;

    InvocationsApi(LambdaService lambdas) {
        this.lambdas = lambdas;
    }

    boolean handles(HttpExchange exchange, String rawPath) throws IOException {
        if (!rawPath.equals("/_runlane/invocations")) {
            return false;
        }
        String query = exchange.getRequestURI().getRawQuery();
        String function = FormParameter.of(query, "function");
        String last = FormParameter.of(query, "last");
        if (!exchange.getRequestMethod().equals("GET")) {
            error(exchange, 405, exchange.getRequestMethod() + " /_runlane/invocations is not supported: use GET");
        } else if (function == null || function.isBlank()) {
            error(exchange, 400, "function is missing: /_runlane/invocations?function=ApiFunction&last=5");
        } else if (last != null && !last.matches("[1-9][0-9]{0,8}")) {
            error(exchange, 400, "last must be a whole number of at least 1, not " + last);
        } else {
            try {
                var invocations = lambdas.recentInvocations(function, last == null ? Integer.MAX_VALUE : Integer.parseInt(last));
                ObjectNode body = JSON.createObjectNode().put("function", function);
                body.set("invocations", JSON.valueToTree(invocations));
                Responses.sendJson(exchange, 200, body);
            } catch (FunctionNotFoundException | InvalidFaultException e) {
                error(exchange, 404, e.getMessage());
            }
        }
        return true;
    }

    private static void error(HttpExchange exchange, int status, String message) {
        Responses.sendJson(exchange, status, Map.of("message", message));
    }
}
