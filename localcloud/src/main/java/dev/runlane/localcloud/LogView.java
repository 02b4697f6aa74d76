package dev.runlane.localcloud;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * Function log lines for people: a sandbox's JSON log line ({@code [Function] {"level":…}}) becomes
 * {@code [Function] INFO  Gate run=… thread=…: message}. Anything else passes unchanged, and
 * {@code --raw-logs} keeps the JSON as the function wrote it. Routine lines (each request, each
 * invocation's REPORT, a sandbox's start-up) are shown only with {@code --verbose}.
 */
final class LogView {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Lines that say nothing went wrong and nothing happened to a run; a sandbox's lines start with [Function]. */
    private static final Pattern ROUTINE = Pattern.compile(String.join("|",
            "\\[[^\\]]+\\] Picked up JAVA_TOOL_OPTIONS: .*",
            "\\[[^\\]]+\\] REPORT RequestId: .*",
            "\\[[^\\]]+\\] prewarmed in \\d+ ms",
            "\\[[^\\]]+\\] \\{\"_aws\":.*",
            "api: \\S+ \\S+ -> [23]\\d\\d \\(\\d+ ms\\)",
            "sqs \\S+: \\d+ message\\(s\\) -> \\S+: \\d+ deleted, \\d+ left on the queue",
            "rule \\S+: \\S+ \\S+ -> \\S+"));

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

    /**
     * Whether a line is routine: a request answered 2xx/3xx, a queue batch handled, a status event delivered, an
     * invocation's REPORT, a sandbox's JVM notice, start-up or metric line, a function's framework INFO line.
     */
    static boolean routine(String line) {
        if (ROUTINE.matcher(line).matches()) {
            return true;
        }
        int start = line.indexOf("] {");
        if (!line.startsWith("[") || start < 0) {
            return false;
        }
        try {
            JsonNode record = JSON.readTree(line.substring(start + 2));
            String level = record.path("level").asText();
            return record.path("loggerName").asText().startsWith("io.quarkus") && (level.equals("INFO") || level.equals("DEBUG"));
        } catch (Exception notJson) {
            return false;
        }
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
