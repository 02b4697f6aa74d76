package dev.runlane.localcloud.faults;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Faults as JSON, the shape of the admin API and of {@code --faults} files: one object, an array, or
 * {@code {"faults": [...]}}; each object e.g. {@code {"kind":"delay","function":"HostedDispatchFunction","delayMs":15000}}.
 * Unknown fields and fields the kind does not take are rejected, so that a misspelt field is not silently ignored.
 */
public final class FaultJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FaultJson() {
    }

    public static List<Fault> parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidFaultException("not JSON: " + e.getOriginalMessage());
        }
        JsonNode list = root != null && root.isObject() && root.has("faults") ? root.get("faults") : root;
        if (list == null || !(list.isArray() || list.isObject())) {
            throw new InvalidFaultException("expected a fault object, an array of them or {\"faults\": [...]}");
        }
        List<Fault> faults = new ArrayList<>();
        for (JsonNode node : list.isArray() ? list : List.of(list)) {
            try {
                faults.add(fault(node));
            } catch (InvalidFaultException e) {
                throw list.isArray() ? new InvalidFaultException("fault " + (faults.size() + 1) + ": " + e.getMessage()) : e;
            }
        }
        return faults;
    }

    private static Fault fault(JsonNode node) {
        if (!node.isObject()) {
            throw new InvalidFaultException("a fault must be a JSON object, not " + node);
        }
        String name = text(node, "kind");
        if (name == null) {
            throw new InvalidFaultException("kind is missing: use one of " + FaultKind.names());
        }
        FaultKind kind = FaultKind.named(name);
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!kind.takes(field.getKey())) {
                throw new InvalidFaultException(kind.jsonName() + " does not take '" + field.getKey() + "' (it takes "
                        + FaultKind.COMMON_FIELDS.stream().sorted().toList() + " and " + kind.fields() + ")");
            }
        }
        return new Fault(kind, text(node, "function"), text(node, "action"), (int) number(node, "count", 1),
                decimal(node, "probability", 1), number(node, "delayMs", 0),
                number(node, "afterMs", kind == FaultKind.KILL ? Fault.DEFAULT_KILL_AFTER_MS : 0),
                text(node, "code"), (int) number(node, "status", 0), text(node, "message"), (int) number(node, "call", 0),
                when(text(node, "when")));
    }

    /** null when absent: a crash then strikes before its call */
    private static Fault.When when(String when) {
        return when == null ? null : switch (when) {
            case "before" -> Fault.When.BEFORE;
            case "after" -> Fault.When.AFTER;
            default -> throw new InvalidFaultException("when must be \"before\" or \"after\", not \"" + when + "\"");
        };
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = present(node, field);
        if (value != null && (!value.isTextual() || value.asText().isBlank())) {
            throw new InvalidFaultException(field + " must be a non-empty string, not " + value);
        }
        return value == null ? null : value.asText();
    }

    private static long number(JsonNode node, String field, long fallback) {
        JsonNode value = present(node, field);
        if (value != null && !(value.isIntegralNumber() && value.canConvertToInt())) {
            throw new InvalidFaultException(field + " must be a whole number, not " + value);
        }
        return value == null ? fallback : value.asLong();
    }

    private static double decimal(JsonNode node, String field, double fallback) {
        JsonNode value = present(node, field);
        if (value != null && !value.isNumber()) {
            throw new InvalidFaultException(field + " must be a number, not " + value);
        }
        return value == null ? fallback : value.asDouble();
    }

    /** The field's value; null when it is absent or JSON null, which both mean "the default". */
    private static JsonNode present(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value;
    }

    /** The fault as written (only the fields its kind takes), its id, and how often it fired and may still fire. */
    public static ObjectNode render(ArmedFault armed) {
        Fault fault = armed.fault();
        ObjectNode node = JSON.createObjectNode().put("id", armed.id()).put("kind", fault.kind().jsonName());
        if (fault.kind().aboutFunctions() && fault.function() != null) {
            node.put("function", fault.function());
        }
        switch (fault.kind()) {
            case DELAY -> node.put("delayMs", fault.delayMs());
            case KILL -> node.put("afterMs", fault.afterMs());
            case CRASH -> node.put("call", fault.call()).put("when", fault.when().name().toLowerCase(Locale.ROOT));
            case AWS_ERROR -> {
                node.put("action", fault.action()).put("code", fault.code()).put("status", fault.status());
                if (fault.message() != null) {
                    node.put("message", fault.message());
                }
            }
            default -> { }
        }
        return node.put("count", fault.count()).put("probability", fault.probability())
                .put("remaining", armed.remaining()).put("fired", armed.fired());
    }
}
