package dev.runlane.localcloud.template;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A template resolved for the local cloud: every intrinsic evaluated, every physical name and
 * ARN decided. It is all that is served; nothing is listed anywhere else.
 */
public record Stack(
        String name,
        List<Table> tables,
        List<Queue> queues,
        List<StateMachine> stateMachines,
        List<Function> functions,
        List<Route> routes,
        List<SqsEventSource> sqsEventSources,
        List<StatusChangeRule> rules,
        ApiThrottle apiThrottle) {

    public static final String REGION = "us-east-1";
    public static final String ACCOUNT_ID = "123456789012";
    public static final String STACK_NAME = "runlane";

    /** Properties are resolved and kept in their CloudFormation shape; the provisioner maps them to API calls. */
    public record Table(String logicalId, String name, String arn, Map<String, Object> properties) {}

    /** {@code attributes} are SQS queue attributes (CreateQueue's names), values as strings. */
    public record Queue(String logicalId, String name, String url, String arn, Map<String, String> attributes) {
        public boolean hasRedrive() {
            return attributes.containsKey("RedrivePolicy");
        }
    }

    public record StateMachine(String logicalId, String name, String arn, String type, String definition) {}

    /** @param reservedConcurrency ReservedConcurrentExecutions, null when none is reserved */
    public record Function(String logicalId, String name, String arn, Path code, String handler,
            Map<String, String> environment, int timeoutSeconds, int memoryMb, Integer reservedConcurrency) {}

    /** The HTTP API stage's DefaultRouteSettings throttling: a token bucket of {@code burst}, refilled at {@code ratePerSecond}. */
    public record ApiThrottle(double ratePerSecond, int burst) {}

    /** An HttpApi route; {@code method} is upper case or ANY, {@code path} e.g. /threads/{threadId}/runs. */
    public record Route(String method, String path, String functionName, String eventName) {
        public String routeKey() {
            return method + " " + path;
        }
    }

    /** @param maximumConcurrency the mapping's ScalingConfig.MaximumConcurrency, 0 when not set */
    public record SqsEventSource(String functionName, String eventName, Queue queue, int batchSize,
            boolean reportBatchItemFailures, boolean enabled, int maximumConcurrency) {}

    /** An EventBridge rule on the default bus; {@code pattern} is the resolved event pattern. */
    public record StatusChangeRule(String functionName, String eventName, JsonNode pattern) {}
}
