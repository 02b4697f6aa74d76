package dev.runlane.localcloud.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** Writes the edge's own responses. */
final class Responses {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Responses() {
    }

    static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }

    /** An AWS REST-JSON error, as Lambda sends it: the type in x-amzn-ErrorType and the body. */
    static void json(HttpExchange exchange, int status, String errorType, String message) {
        json(exchange, status, errorType, "message", message);
    }

    /** @param messageField "message" or "Message": Lambda's errors differ there */
    static void json(HttpExchange exchange, int status, String errorType, String messageField, String message) {
        exchange.getResponseHeaders().set("x-amzn-ErrorType", errorType);
        sendJson(exchange, status, Map.of("Type", "User", messageField, message, "__type", errorType));
    }

    /** A JSON body (application/json unless a type is set); a failure to write it is unchecked, as nothing can be answered then. */
    static void sendJson(HttpExchange exchange, int status, Object json) {
        exchange.getResponseHeaders().putIfAbsent("Content-Type", List.of("application/json"));
        try {
            send(exchange, status, JSON.writeValueAsBytes(json));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void status(HttpExchange exchange, int status, String json) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        send(exchange, status, json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
