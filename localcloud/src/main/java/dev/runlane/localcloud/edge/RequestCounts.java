package dev.runlane.localcloud.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the AWS requests that pass the edge, by action, and the DynamoDB on-demand request units they
 * would consume, for the benchmark's bill: {@code GET /_runlane/requests} lists them, {@code DELETE}
 * resets. Units follow DynamoDB's on-demand rules for items up to 1 KB written and 4 KB read (runlane's
 * status, fence, thread and event items are; payloads may be larger, so writes of them are a floor):
 * a write 1 WRU, a transactional one 2 per item; a strong read 1 RRU, an eventual one 0.5, a
 * transactional one 2; a query or batch get as many reads as it asks for keys or pages.
 */
final class RequestCounts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final DoubleAdder readUnits = new DoubleAdder();
    private final DoubleAdder writeUnits = new DoubleAdder();

    void count(AwsRequest request) {
        requests.computeIfAbsent(request.name(), name -> new LongAdder()).increment();
        if (request.service().equals("dynamodb")) {
            addUnits(request.action(), parse(request.body()));
        }
    }

    private void addUnits(String action, JsonNode body) {
        double read = body.path("ConsistentRead").asBoolean(false) ? 1 : 0.5;
        switch (action) {
            case "GetItem", "Query", "Scan" -> readUnits.add(read);
            case "PutItem", "UpdateItem", "DeleteItem" -> writeUnits.add(1);
            case "TransactWriteItems" -> writeUnits.add(2.0 * body.path("TransactItems").size());
            case "TransactGetItems" -> readUnits.add(2.0 * body.path("TransactItems").size());
            case "BatchGetItem" -> body.path("RequestItems").forEach(table ->
                    readUnits.add((table.path("ConsistentRead").asBoolean(false) ? 1 : 0.5) * table.path("Keys").size()));
            case "BatchWriteItem" -> body.path("RequestItems").forEach(table -> writeUnits.add(table.size()));
            default -> { } // control plane (CreateTable, DescribeTable, ...): not billed per request
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException | RuntimeException notJson) {
            return JSON.missingNode();
        }
    }

    boolean handles(HttpExchange exchange, String rawPath) throws IOException {
        if (!rawPath.equals("/_runlane/requests")) {
            return false;
        }
        switch (exchange.getRequestMethod()) {
            case "GET" -> Responses.sendJson(exchange, 200, snapshot());
            case "DELETE" -> {
                requests.clear();
                readUnits.reset();
                writeUnits.reset();
                Responses.send(exchange, 204, new byte[0]);
            }
            default -> Responses.json(exchange, 405, "MethodNotAllowed", "use GET or DELETE on /_runlane/requests");
        }
        return true;
    }

    ObjectNode snapshot() {
        ObjectNode out = JSON.createObjectNode();
        ObjectNode byAction = out.putObject("requests");
        new TreeMap<>(requests).forEach((name, count) -> byAction.put(name, count.sum()));
        out.putObject("dynamodbUnits").put("read", readUnits.sum()).put("write", writeUnits.sum());
        return out;
    }
}
