package dev.runlane.dispatch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.runs.Json;

import java.util.Map;

/**
 * CloudWatch metrics in the embedded metric format: one JSON line on stdout, which Lambda's log
 * pipeline turns into a metric in the {@code runlane} namespace, with no call to CloudWatch.
 * Properties (run id, token) ride along for Logs Insights without becoming dimensions.
 */
final class Metrics {
    static final String NAMESPACE = "runlane";

    private Metrics() {
    }

    static void count(String name, long timestampMillis, Map<String, Object> properties) {
        System.out.println(line(name, timestampMillis, properties));
    }

    static String line(String name, long timestampMillis, Map<String, Object> properties) {
        ObjectNode line = Json.MAPPER.createObjectNode();
        ObjectNode aws = line.putObject("_aws").put("Timestamp", timestampMillis);
        ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject().put("Namespace", NAMESPACE);
        directive.putArray("Dimensions").addArray();
        directive.putArray("Metrics").addObject().put("Name", name).put("Unit", "Count");
        line.put(name, 1);
        properties.forEach((key, value) -> line.set(key, Json.MAPPER.valueToTree(value)));
        return line.toString();
    }
}
