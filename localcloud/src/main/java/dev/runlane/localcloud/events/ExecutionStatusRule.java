package dev.runlane.localcloud.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.localcloud.FunctionInvoker;
import dev.runlane.localcloud.faults.FaultKind;
import dev.runlane.localcloud.faults.Faults;
import dev.runlane.localcloud.template.Stack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/**
 * EventBridge's "Step Functions Execution Status Change" events, emulated: moto emits none, so
 * the executions of the watched state machines are polled and each status change becomes one
 * event, delivered (async invoke) to the rule's function when it matches the rule's pattern.
 */
public final class ExecutionStatusRule implements AutoCloseable {
    static final String DETAIL_TYPE = "Step Functions Execution Status Change";
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    /** How many of the newest executions each poll looks at beside the running ones. */
    static final int NEWEST = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Stack.StatusChangeRule rule;
    private final List<String> stateMachineArns;
    private final SfnClient sfn;
    private final FunctionInvoker functions;
    private final Faults faults;
    private final Consumer<String> log;
    /** The last status seen per execution ARN: each change is emitted once. */
    private final Map<String, String> seen = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    /** @param faults dropStatusEvents faults drop events here, as EventBridge's best-effort delivery may */
    public ExecutionStatusRule(Stack.StatusChangeRule rule, List<String> allStateMachineArns, SfnClient sfn,
            FunctionInvoker functions, Faults faults, Consumer<String> log) {
        this.rule = rule;
        this.faults = faults;
        this.stateMachineArns = watched(rule.pattern(), allStateMachineArns);
        this.sfn = sfn;
        this.functions = functions;
        this.log = log;
        this.thread = Thread.ofPlatform().daemon().name("rule-" + rule.eventName()).unstarted(this::run);
    }

    /** The state machines the pattern names, else all of the stack's. */
    private static List<String> watched(JsonNode pattern, List<String> all) {
        JsonNode arns = pattern.at("/detail/stateMachineArn");
        if (!arns.isArray()) {
            return all;
        }
        List<String> named = new ArrayList<>();
        arns.forEach(a -> {
            if (a.isTextual()) {
                named.add(a.asText());
            }
        });
        return named.isEmpty() ? all : named;
    }

    public void start() {
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                stateMachineArns.forEach(this::poll);
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                log.accept("rule " + rule.eventName() + ": " + e.getMessage());
            }
            try {
                Thread.sleep(POLL_INTERVAL); // the polling interval itself, not a synchronisation
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * One look at a state machine's executions that can have changed: the running ones, the newest
     * {@link #NEWEST} (which catches one that started and ended between two polls), and every one
     * seen running before that is no longer listed as running. Listing every execution instead would
     * make each poll grow with the stack's history (measured: it became moto's main load).
     */
    private void poll(String stateMachineArn) {
        Map<String, String> listed = new HashMap<>();
        String token = null;
        do {
            String next = token;
            var page = sfn.listExecutions(r -> r.stateMachineArn(stateMachineArn).statusFilter(ExecutionStatus.RUNNING)
                    .maxResults(1000).nextToken(next));
            page.executions().forEach(e -> listed.put(e.executionArn(), e.statusAsString()));
            token = page.nextToken();
        } while (token != null && running);
        sfn.listExecutions(r -> r.stateMachineArn(stateMachineArn).maxResults(NEWEST)).executions()
                .forEach(e -> listed.putIfAbsent(e.executionArn(), e.statusAsString()));
        running(stateMachineArn).stream().filter(arn -> !listed.containsKey(arn)).forEach(arn -> listed.put(arn, null));
        listed.forEach((arn, status) -> {
            if (status == null || !status.equals(seen.get(arn))) {
                // The execution may have moved on since it was listed (RUNNING listed, SUCCEEDED described): the
                // described status is the one emitted and seen, else the next poll would emit SUCCEEDED again.
                DescribeExecutionResponse described = sfn.describeExecution(r -> r.executionArn(arn));
                if (!described.statusAsString().equals(seen.put(arn, described.statusAsString()))) {
                    emit(described);
                }
            }
        });
    }

    /** The executions of this state machine last seen RUNNING. */
    private List<String> running(String stateMachineArn) {
        String prefix = stateMachineArn.replace(":stateMachine:", ":execution:") + ":";
        return seen.entrySet().stream().filter(e -> e.getValue().equals("RUNNING") && e.getKey().startsWith(prefix))
                .map(Map.Entry::getKey).toList();
    }

    private void emit(DescribeExecutionResponse execution) {
        ObjectNode event = event(execution, Instant.now());
        if (EventPattern.matches(rule.pattern(), event)) {
            String delivery = "rule " + rule.eventName() + ": " + execution.name() + " " + execution.statusAsString() + " -> " + rule.functionName();
            if (faults.fire(rule.functionName(), FaultKind.DROP_STATUS_EVENTS).isPresent()) {
                log.accept(delivery + " dropped (fault)");
                return;
            }
            log.accept(delivery);
            functions.invokeAsync(rule.functionName(), event.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    static ObjectNode event(DescribeExecutionResponse execution, Instant now) {
        ObjectNode event = JSON.createObjectNode();
        event.put("version", "0");
        event.put("id", UUID.randomUUID().toString());
        event.put("detail-type", DETAIL_TYPE);
        event.put("source", "aws.states");
        event.put("account", Stack.ACCOUNT_ID);
        event.put("time", now.truncatedTo(ChronoUnit.SECONDS).toString());
        event.put("region", Stack.REGION);
        event.putArray("resources").add(execution.executionArn());
        ObjectNode detail = event.putObject("detail");
        detail.put("executionArn", execution.executionArn());
        detail.put("stateMachineArn", execution.stateMachineArn());
        detail.put("name", execution.name());
        detail.put("status", execution.statusAsString());
        detail.put("startDate", execution.startDate() == null ? null : execution.startDate().toEpochMilli());
        if (execution.stopDate() == null) {
            detail.putNull("stopDate");
        } else {
            detail.put("stopDate", execution.stopDate().toEpochMilli());
        }
        detail.put("input", execution.input());
        detail.putObject("inputDetails").put("included", true);
        detail.put("output", execution.output());
        detail.putObject("outputDetails").put("included", true);
        detail.put("error", execution.error());
        detail.put("cause", execution.cause());
        return event;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
