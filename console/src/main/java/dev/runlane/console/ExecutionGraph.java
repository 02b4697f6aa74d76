package dev.runlane.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.runs.RunIds;
import java.io.IOException;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.GetExecutionHistoryResponse;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;

/**
 * What the run page draws its graph from, read from Step Functions as its console does: the
 * execution (DescribeExecution), the state machine's deployed ASL (DescribeStateMachine) and the
 * execution history (GetExecutionHistory), reduced to the events that say which states ran. Only
 * the stack's own state machine's executions (named by their run ids), never any other the
 * credentials can read.
 */
final class ExecutionGraph {
    static final Pattern EXECUTION_ARN = Pattern.compile(
            "arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}");
    /** Bounds the history read: a run's execution has a few dozen events; retries add a few each. */
    private static final int MAX_EVENTS = 2000;

    private final SfnClient sfn;
    private final boolean local;
    private final String stateMachineArn;
    /** "arn:...:execution:<the state machine's name>:", or null when there is no state machine to read. */
    private final String executionPrefix;

    /** @param stateMachineArn the stack's; null: none, every read is refused */
    ExecutionGraph(SfnClient sfn, boolean local, String stateMachineArn) {
        this.sfn = sfn;
        this.local = local;
        this.stateMachineArn = stateMachineArn;
        this.executionPrefix = stateMachineArn == null ? null : stateMachineArn.replace(":stateMachine:", ":execution:") + ":";
    }

    ApiProxy.Answer read(String executionArn) throws IOException {
        if (executionArn == null || !EXECUTION_ARN.matcher(executionArn).matches()) {
            return Json.error(400, "InvalidExecutionArn", "executionArn must be a Step Functions execution ARN");
        }
        if (!ofThisStack(executionArn)) {
            return Json.error(403, "ForeignExecution", stateMachineArn == null ? "the stack has no state machine to read"
                    : "the console reads the executions of " + stateMachineArn + " only");
        }
        DescribeExecutionResponse execution;
        try {
            execution = sfn.describeExecution(r -> r.executionArn(executionArn));
        } catch (ExecutionDoesNotExistException e) {
            return Json.error(404, "ExecutionNotFound", "no execution " + executionArn);
        }
        String definition = sfn.describeStateMachine(r -> r.stateMachineArn(stateMachineArn)).definition();

        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("executionArn", executionArn);
        body.put("stateMachineArn", execution.stateMachineArn());
        body.put("status", execution.statusAsString());
        body.set("definition", Json.MAPPER.readTree(definition));
        body.put("consoleUrl", local ? null : consoleUrl(executionArn));
        ArrayNode events = body.putArray("events");
        String nextToken = null;
        int read = 0;
        do {
            String token = nextToken;
            GetExecutionHistoryResponse page = sfn.getExecutionHistory(r -> r.executionArn(executionArn).nextToken(token).maxResults(500));
            for (HistoryEvent event : page.events()) {
                events.add(reduce(event));
            }
            read += page.events().size();
            nextToken = page.nextToken();
        } while (nextToken != null && read < MAX_EVENTS);
        return Json.of(200, body);
    }

    /** An execution of the stack's state machine, named by a run id, as the workflow starts them. */
    boolean ofThisStack(String executionArn) {
        return executionPrefix != null && executionArn.startsWith(executionPrefix)
                && RunIds.isValid(executionArn.substring(executionPrefix.length()));
    }

    /** id, type, time and, for state events, the state's name; failures keep their error. */
    private static JsonNode reduce(HistoryEvent event) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("id", event.id());
        node.put("type", event.typeAsString());
        node.put("timestamp", event.timestamp().toString());
        if (event.stateEnteredEventDetails() != null) {
            node.put("state", event.stateEnteredEventDetails().name());
        } else if (event.stateExitedEventDetails() != null) {
            node.put("state", event.stateExitedEventDetails().name());
        }
        if (event.lambdaFunctionFailedEventDetails() != null) {
            node.put("error", event.lambdaFunctionFailedEventDetails().error());
        } else if (event.taskFailedEventDetails() != null) {
            node.put("error", event.taskFailedEventDetails().error());
        } else if (event.executionFailedEventDetails() != null) {
            node.put("error", event.executionFailedEventDetails().error());
        }
        return node;
    }

    /** The execution in the AWS console (the region is the ARN's). */
    static String consoleUrl(String executionArn) {
        String region = executionArn.split(":")[3];
        return "https://" + region + ".console.aws.amazon.com/states/home?region=" + region
                + "#/v2/executions/details/" + executionArn;
    }
}
