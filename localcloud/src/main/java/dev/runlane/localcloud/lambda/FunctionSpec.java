package dev.runlane.localcloud.lambda;

import java.nio.file.Path;
import java.util.Map;

/**
 * One function from the template.
 *
 * @param code        path of the built function.zip
 * @param handler     e.g. {@code io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest}
 * @param environment the template's variables (already resolved) plus AWS_ENDPOINT_URL, AWS_REGION and
 *                    credentials; the sandbox adds the Lambda runtime variables itself
 * @param reservedConcurrency ReservedConcurrentExecutions, null when none is reserved
 */
public record FunctionSpec(String name, String arn, Path code, String handler, Map<String, String> environment,
                           int timeoutSeconds, int memoryMb, Integer reservedConcurrency) {
    public FunctionSpec {
        environment = Map.copyOf(environment);
    }

    /** A function with no reserved concurrency. */
    public FunctionSpec(String name, String arn, Path code, String handler, Map<String, String> environment,
                        int timeoutSeconds, int memoryMb) {
        this(name, arn, code, handler, environment, timeoutSeconds, memoryMb, null);
    }
}
