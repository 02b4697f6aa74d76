package dev.runlane.localcloud.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.runlane.localcloud.faults.Fault;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * An injected AWS error, shaped as the service answers in the request's protocol, so that SDKs (and moto's Step
 * Functions) map it to the same exception as a real one: AWS JSON 1.0 for DynamoDB, SQS and Step Functions, XML for
 * the query protocol. A TransactWriteItems/TransactGetItems error whose code is a cancellation reason is a
 * TransactionCanceledException with that reason on the first item and None on the others.
 */
final class AwsErrorResponse {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> TRANSACTIONS = Set.of("TransactWriteItems", "TransactGetItems");
    /** DynamoDB's cancellation reason codes and their messages. */
    private static final Map<String, String> CANCELLATION_REASONS = Map.of(
            "TransactionConflict", "Transaction is ongoing for the item",
            "ConditionalCheckFailed", "The conditional request failed",
            "ThrottlingError", "Throughput exceeds the current capacity for one or more global secondary indexes. "
                    + "DynamoDB is automatically scaling your index so please be patient.",
            "ProvisionedThroughputExceeded", "The level of configured provisioned throughput for the table was exceeded. "
                    + "Consider increasing your provisioning level with the UpdateTable API.",
            "ItemCollectionSizeLimitExceeded", "Collection size exceeded.",
            "ValidationError", "One or more parameter values were invalid");
    private static final Map<String, String> MESSAGES = Map.of(
            "ProvisionedThroughputExceededException", CANCELLATION_REASONS.get("ProvisionedThroughputExceeded"),
            "ThrottlingException", "Rate of requests exceeds the allowed throughput.",
            "ConditionalCheckFailedException", CANCELLATION_REASONS.get("ConditionalCheckFailed"),
            "TransactionConflictException", CANCELLATION_REASONS.get("TransactionConflict"),
            "RequestLimitExceeded", "Throughput exceeds the current throughput limit for your account.",
            "InternalServerError", "Internal server error");

    private AwsErrorResponse() {
    }

    static void send(HttpExchange exchange, AwsRequest request, Fault fault) throws IOException {
        String message = fault.message() != null ? fault.message() : MESSAGES.getOrDefault(fault.code(), "Injected fault: " + fault.code());
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        if (request.query()) {
            xml(exchange, fault.status(), fault.code(), message);
        } else if (request.service().equals("dynamodb") && TRANSACTIONS.contains(request.action())
                && CANCELLATION_REASONS.containsKey(fault.code())) {
            transactionCanceled(exchange, request, fault.code(), fault.message() != null ? fault.message() : CANCELLATION_REASONS.get(fault.code()));
        } else {
            String type = switch (request.service()) {
                case "dynamodb" -> "com.amazonaws.dynamodb.v20120810#" + fault.code();
                case "sqs" -> "com.amazonaws.sqs#" + fault.code();
                default -> fault.code();
            };
            if (request.service().equals("sqs")) { // the SDK takes the code from here for SQS's JSON protocol
                exchange.getResponseHeaders().set("x-amzn-query-error", fault.code() + ";" + side(fault.status()));
            }
            json(exchange, fault.status(), fault.code(), JSON.createObjectNode().put("__type", type).put("message", message));
        }
    }

    private static void transactionCanceled(HttpExchange exchange, AwsRequest request, String reason, String message) {
        int items = Math.max(1, transactItems(request.body()));
        ArrayNode reasons = JSON.createArrayNode();
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            ObjectNode entry = reasons.addObject().put("Code", i == 0 ? reason : "None");
            if (i == 0) {
                entry.put("Message", message);
            }
            codes.add(entry.get("Code").asText());
        }
        ObjectNode body = JSON.createObjectNode()
                .put("__type", "com.amazonaws.dynamodb.v20120810#TransactionCanceledException")
                .put("Message", "Transaction cancelled, please refer cancellation reasons for specific reasons " + codes);
        body.set("CancellationReasons", reasons);
        json(exchange, 400, "TransactionCanceledException", body);
    }

    private static int transactItems(byte[] body) {
        try {
            return JSON.readTree(body).path("TransactItems").size();
        } catch (IOException e) {
            return 1; // not JSON: the service would reject it anyway; one reason is the least that parses
        }
    }

    private static void json(HttpExchange exchange, int status, String code, JsonNode body) {
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.0");
        exchange.getResponseHeaders().set("x-amzn-ErrorType", code);
        Responses.sendJson(exchange, status, body);
    }

    private static void xml(HttpExchange exchange, int status, String code, String message) throws IOException {
        String body = "<?xml version=\"1.0\"?><ErrorResponse><Error><Type>" + side(status)
                + "</Type><Code>" + escape(code) + "</Code><Message>" + escape(message) + "</Message><Detail/></Error>"
                + "<RequestId>" + exchange.getResponseHeaders().getFirst("x-amzn-RequestId") + "</RequestId></ErrorResponse>";
        exchange.getResponseHeaders().set("Content-Type", "text/xml");
        Responses.send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Whose fault the query protocol says it is. */
    private static String side(int status) {
        return status >= 500 ? "Receiver" : "Sender";
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
