package dev.runlane.localcloud.events;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * EventBridge event pattern matching: every field of the pattern must match; an array lists
 * the accepted values (exact values, or prefix/suffix/anything-but/exists/numeric filters);
 * an object descends into the event's nested object.
 */
public final class EventPattern {
    private EventPattern() {}

    public static boolean matches(JsonNode pattern, JsonNode event) {
        Iterator<Map.Entry<String, JsonNode>> fields = pattern.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode rule = field.getValue();
            JsonNode value = event == null ? null : event.get(field.getKey());
            boolean ok = rule.isObject() ? value != null && value.isObject() && matches(rule, value) : matchesAny(rule, value);
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean matchesAny(JsonNode accepted, JsonNode value) {
        for (JsonNode candidate : accepted) {
            if (candidate.isObject() && candidate.has("exists")) {
                if (candidate.get("exists").asBoolean() == (value != null && !value.isNull())) {
                    return true;
                }
                continue;
            }
            if (value == null) {
                continue;
            }
            if (value.isArray()) {
                for (JsonNode element : value) {
                    if (matchesOne(candidate, element)) {
                        return true;
                    }
                }
            } else if (matchesOne(candidate, value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesOne(JsonNode candidate, JsonNode value) {
        if (!candidate.isObject()) {
            return candidate.isNumber() && value.isNumber() ? candidate.decimalValue().compareTo(value.decimalValue()) == 0 : candidate.equals(value);
        }
        if (candidate.has("prefix")) {
            return value.isTextual() && value.asText().startsWith(candidate.get("prefix").asText());
        }
        if (candidate.has("suffix")) {
            return value.isTextual() && value.asText().endsWith(candidate.get("suffix").asText());
        }
        if (candidate.has("anything-but")) {
            JsonNode excluded = candidate.get("anything-but");
            if (excluded.isArray()) {
                for (JsonNode e : excluded) {
                    if (e.equals(value)) {
                        return false;
                    }
                }
                return true;
            }
            return !excluded.equals(value);
        }
        if (candidate.has("numeric")) {
            return value.isNumber() && numeric(candidate.get("numeric"), value.asDouble());
        }
        throw new IllegalArgumentException("event pattern filter not supported locally: " + candidate);
    }

    private static boolean numeric(JsonNode conditions, double value) {
        for (int i = 0; i + 1 < conditions.size(); i += 2) {
            double bound = conditions.get(i + 1).asDouble();
            boolean ok = switch (conditions.get(i).asText()) {
                case "<" -> value < bound;
                case "<=" -> value <= bound;
                case "=" -> value == bound;
                case ">" -> value > bound;
                case ">=" -> value >= bound;
                default -> false;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
