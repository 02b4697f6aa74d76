package dev.runlane.localcloud;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Iterator;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * Function log lines for people: a sandbox's JSON log line ({@code [Function] {"level":…}}) becomes
 * {@code [Function] INFO  Gate run=… thread=…: message}. Anything else passes unchanged, and
 * {@code --raw-logs} keeps the JSON as the function wrote it.
 */
final class LogView {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LogView() {
    }

    /** The console's one-line format, with each function's JSON line made readable. */
    static Formatter formatter() {
        return new SimpleFormatter() {
            @Override
            public String formatMessage(LogRecord record) {
                return readable(super.formatMessage(record));
            }
        };
    }

    static String readable(String line) {
        int start = line.indexOf("] {");
        if (!line.startsWith("[") || start < 0) {
            return line;
        }
        JsonNode record;
        try {
            record = JSON.readTree(line.substring(start + 2));
        } catch (Exception notJson) {
            return line;
        }
        if (!record.isObject() || !record.has("message") || !record.has("level")) {
            return line;
        }
        StringBuilder view = new StringBuilder(line.substring(0, start + 2))
                .append(String.format("%-5s ", record.path("level").asText()))
                .append(shortName(record.path("loggerName").asText("")));
        for (Iterator<Map.Entry<String, JsonNode>> ids = record.path("mdc").fields(); ids.hasNext(); ) {
            Map.Entry<String, JsonNode> id = ids.next();
            view.append(' ').append(id.getKey()).append('=').append(id.getValue().asText());
        }
        view.append(": ").append(record.path("message").asText());
        JsonNode exception = record.path("exception");
        if (!exception.isMissingNode()) {
            view.append(" (").append(exception.path("exceptionType").asText(exception.toString()));
            if (exception.hasNonNull("message")) {
                view.append(": ").append(exception.path("message").asText());
            }
            view.append(')');
        }
        return view.toString();
    }

    private static String shortName(String logger) {
        return logger.substring(logger.lastIndexOf('.') + 1);
    }
}
