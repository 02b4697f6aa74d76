package dev.runlane.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.domain.InvalidCursorException;
import dev.runlane.domain.Page;
import dev.runlane.runs.Json;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Attribute value shorthands and listing cursors for the DynamoDB adapters. */
final class Dynamo {
    private static final ObjectMapper JSON = Json.MAPPER;

    private Dynamo() {
    }

    static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    /** A string attribute of an item, or null when it has none. */
    static String str(Map<String, AttributeValue> item, String name) {
        AttributeValue value = item.get(name);
        return value == null ? null : value.s();
    }

    static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

    static <T> Page<T> page(QueryResponse response, Function<Map<String, AttributeValue>, T> mapper) {
        List<T> items = response.items().stream().map(mapper).toList();
        return new Page<>(items, response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty()
                ? encodeCursor(response.lastEvaluatedKey()) : null);
    }

    /** A cursor is the page's last key (all string attributes), as URL-safe base64 JSON. */
    static String encodeCursor(Map<String, AttributeValue> lastKey) {
        ObjectNode node = JSON.createObjectNode();
        lastKey.forEach((name, value) -> node.put(name, value.s()));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(node.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Decodes a cursor, refusing one that was not issued for this listing (partition {@code name} = {@code value}). */
    static Map<String, AttributeValue> decodeCursor(String cursor, String name, String value) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(Base64.getUrlDecoder().decode(cursor));
            if (!node.isObject() || node.size() > 3 || !value.equals(node.path(name).asText(null))) {
                throw new InvalidCursorException();
            }
            Map<String, AttributeValue> key = new HashMap<>();
            node.fields().forEachRemaining(field -> {
                if (!field.getValue().isTextual()) {
                    throw new InvalidCursorException();
                }
                key.put(field.getKey(), s(field.getValue().asText()));
            });
            return key;
        } catch (InvalidCursorException e) {
            throw e;
        } catch (Exception malformed) {
            throw new InvalidCursorException();
        }
    }
}
