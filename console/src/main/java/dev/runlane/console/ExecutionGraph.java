package dev.runlane.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * execution history (GetExecutionHistory), reduced to the events that say which states ran.
 */
final class ExecutionGraph {
    static final Pattern EXECUTION_ARN = Pattern.compile(
            "arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}");
    /** Bounds the history read: a run's execution has a few dozen events; retries add a few each. */
    private static final int MAX_EVENTS = 2000;

    private final SfnClient sfn;
    private final boolean local;

    ExecutionGraph(SfnClient sfn, boolean local) {
        this.sfn = sfn;
        this.local = local;
    }

    ApiProxy.Answer read(String executionArn) throws IOException {
        if (executionArn == null || !EXECUTION_ARN.matcher(executionArn).matches()) {
            return Json.error(400, "InvalidExecutionArn", "executionArn must be a Step Functions execution ARN");
        }
        DescribeExecutionResponse execution;
        try {
            execution = sfn.describeExecution(r -> r.executionArn(executionArn));
        } catch (ExecutionDoesNotExistException e) {
            return Json.error(404, "ExecutionNotFound", "no execution " + executionArn);
        }
        String definition = sfn.describeStateMachine(r -> r.stateMachineArn(execution.stateMachineArn())).definition();

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
