package dev.runlane.runs;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.runlane.domain.RefusedException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;

/**
 * runlane's JSON: run inputs and outputs are kept exactly as sent. Numbers are read as exact decimals
 * (never rounded through a double, never turned into strings); what a JSON peer cannot carry as a
 * number (beyond a double's range, like 1e999, or a non-zero value that would underflow to 0, like
 * 1e-999), strings that are not valid Unicode (a lone surrogate) and values nested deeper than
 * {@link #MAX_DEPTH} are refused.
 */
public final class Json {
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /**
     * The deepest nesting runlane keeps in a value it stores and serves again (a run's input, a progress
     * report's data, a daemon's output), counting the value itself: {@code 1} and {@code {}} are 1 deep,
     * {@code {"a":[1]}} 2. Every answer that carries such a value wraps it a few levels deeper (a start
     * frame in the frames answer: 3; an event in a live poll: 3; the input in a run: 1), and Jackson, on
     * both ends, refuses to read or write past 1000: 64 leaves every wrapping far more room than it needs,
     * and is deeper than the data of real agent runs go.
     */
    public static final int MAX_DEPTH = 64;

    private Json() {
    }

    /** How deep a value nests: 0 for a scalar, 1 for an array or object holding only scalars (or nothing). */
    public static int depth(JsonNode node) {
        int deepest = 0;
        for (JsonNode child : node) {
            deepest = Math.max(deepest, depth(child));
        }
        return node.isContainerNode() ? deepest + 1 : 0;
    }

    /** The depth of a stored JSON text, read as a stream (no tree is built). */
    public static int depth(String text) {
        try (JsonParser parser = MAPPER.createParser(text)) {
            int depth = 0;
            int deepest = 0;
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token.isStructStart()) {
                    deepest = Math.max(deepest, ++depth);
                } else if (token.isStructEnd()) {
                    depth--;
                }
            }
            return deepest;
        } catch (IOException e) {
            throw new UncheckedIOException("stored JSON is not valid", e);
        }
    }

    /** Refuses (400 {@code NestingTooDeep}) a value nested deeper than {@link #MAX_DEPTH}. */
    public static JsonNode requireShallow(JsonNode node, String where) {
        int depth = depth(node);
        if (depth > MAX_DEPTH) {
            throw tooDeep(where, depth);
        }
        return node;
    }

    /** 400 {@code NestingTooDeep}: the value in {@code where} is {@code depth} deep. */
    public static RefusedException tooDeep(String where, int depth) {
        return RefusedException.invalid("NestingTooDeep", where + " nests arrays and objects " + depth
                + " deep; runlane keeps at most " + MAX_DEPTH + " levels");
    }

    /** Parses a stored JSON text (null stays null). */
    public static JsonNode read(String text) {
        try {
            return text == null ? null : MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("stored JSON is not valid", e);
        }
    }

    /** Refuses (400) a value that runlane could not store and return exactly, or that nests too deep to serve. */
    public static JsonNode requireFaithful(JsonNode node, String where) {
        return requireExact(requireShallow(node, where), where);
    }

    private static JsonNode requireExact(JsonNode node, String where) {
        if (node.isTextual()) {
            requireUnicode(node.textValue(), where);
        } else if (node.isNumber()) {
            requireCarriable(node, where);
        } else if (node.isContainerNode()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                requireUnicode(field.getKey(), where);
                requireExact(field.getValue(), where);
            }
            if (node.isArray()) {
                node.forEach(element -> requireExact(element, where));
            }
        }
        return node;
    }

    private static void requireCarriable(JsonNode number, String where) {
        BigDecimal value = number.isBigInteger() ? new BigDecimal(number.bigIntegerValue())
                : number.isBigDecimal() ? number.decimalValue() : null;
        if (value == null) {
            return; // int, long: always exact
        }
        double nearest = value.doubleValue();
        if (Double.isInfinite(nearest) || nearest == 0 && value.signum() != 0) {
            throw RefusedException.invalid("InvalidNumber", "the number " + abbreviated(value) + " in " + where
                    + " is outside what JSON peers can carry (a double's range): send it as a string");
        }
    }

    private static void requireUnicode(String text, String where) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw RefusedException.invalid("InvalidUnicode", where + " holds a lone surrogate (\\u"
                        + Integer.toHexString(c) + "), which is not valid Unicode");
            }
        }
    }

    private static String abbreviated(BigDecimal value) {
        String text = value.toString();
        return text.length() > 40 ? text.substring(0, 20) + "…" + text.substring(text.length() - 10) : text;
    }
}
