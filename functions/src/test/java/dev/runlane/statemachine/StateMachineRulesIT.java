package dev.runlane.statemachine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.agent.FatalAgentException;
import dev.runlane.agent.RetryableAgentException;
import dev.runlane.dispatch.OutputTooLargeException;
import dev.runlane.domain.StaleAttemptException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The workflow rules of the run state machine, asserted on the definition as deployed: the
 * build's package phase (tools/asl/validate.sh, run by exec-maven-plugin) applies template.yaml's
 * DefinitionSubstitutions, checks the result with asl-validator and writes it to
 * {@code target/asl/run.asl.json}. This test reads that file, so the substitution logic exists once.
 */
class StateMachineRulesIT {

    static final Path DEPLOYED = Path.of("target", "asl", "run.asl.json");

    static final String WAIT_FOR_TOKEN = "arn:aws:states:::lambda:invoke.waitForTaskToken";
    /** What a hosted attempt must recover from (DESIGN.md, "Retry coverage"): every one of them is retried. */
    static final List<String> HOSTED_RECOVERABLE = List.of(
            "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException", "Lambda.Unknown", "Runtime.ExitError",
            "Lambda.SnapStartNotReadyException", "Lambda.SnapStartTimeoutException",
            "States.Timeout", "Sandbox.Timedout", RetryableAgentException.class.getName());
    /** Errors that prove the desktop dispatch function never ran: the only ones its Task may retry. */
    static final Set<String> DISPATCH_NEVER_RAN = Set.of("Lambda.TooManyRequestsException",
            "Lambda.SnapStartNotReadyException", "Lambda.SnapStartTimeoutException",
            "Lambda.ResourceNotReadyException", "Lambda.EC2ThrottledException");
    static final List<String> DESKTOP_MUST_RETRY = List.of("Lambda.TooManyRequestsException",
            "Lambda.SnapStartNotReadyException");
    /** Errors of a dispatch that another attempt would repeat or that a newer attempt already superseded. */
    static final List<String> NEVER_RETRIED = List.of(StaleAttemptException.class.getName(),
            FatalAgentException.class.getName(), OutputTooLargeException.class.getName());

    static JsonNode definition;
    /** Every Task state, by name, at any depth (Parallel branches, Map processors). */
    static Map<String, JsonNode> tasks;

    @BeforeAll
    static void load() throws IOException {
        if (!Files.isRegularFile(DEPLOYED)) {
            fail(DEPLOYED.toAbsolutePath() + " is missing: it is written by the ASL validation of the build's"
                    + " package phase (mvn -pl functions package, or tools/asl/validate.sh)");
        }
        definition = new ObjectMapper().readTree(DEPLOYED.toFile());
        tasks = new LinkedHashMap<>();
        collectTasks(definition, tasks);
        assertFalse(tasks.isEmpty(), "the run state machine has no Task state");
    }

    private static void collectTasks(JsonNode node, Map<String, JsonNode> into) {
        JsonNode states = node.path("States");
        states.properties().forEach(e -> {
            if ("Task".equals(e.getValue().path("Type").asText())) into.put(e.getKey(), e.getValue());
        });
        states.forEach(state -> {
            state.path("Branches").forEach(branch -> collectTasks(branch, into));
            collectTasks(state.path("ItemProcessor"), into);
            collectTasks(state.path("Iterator"), into);
        });
    }

    /** The Task(s) invoking the given function of template.yaml (through its alias). */
    static List<String> tasksInvoking(String functionLogicalId) {
        List<String> names = new ArrayList<>();
        tasks.forEach((name, task) -> {
            String fn = task.path("Parameters").path("FunctionName").asText();
            if (fn.contains(":function:" + functionLogicalId + ":") || fn.endsWith(":function:" + functionLogicalId)) {
                names.add(name);
            }
        });
        return names;
    }

    static String onlyTaskInvoking(String functionLogicalId) {
        List<String> names = tasksInvoking(functionLogicalId);
        assertEquals(1, names.size(), "Tasks invoking " + functionLogicalId + ": " + names);
        return names.get(0);
    }

    static List<String> errorsOf(JsonNode retrierOrCatcher) {
        return StreamSupport.stream(retrierOrCatcher.path("ErrorEquals").spliterator(), false)
                .map(JsonNode::asText).toList();
    }

    /** The retrier Step Functions would use for an error: the first whose ErrorEquals names it. */
    static JsonNode retrierFor(JsonNode task, String error) {
        for (JsonNode retrier : task.path("Retry")) {
            List<String> errors = errorsOf(retrier);
            if (errors.contains(error) || errors.contains("States.ALL")) return retrier;
        }
        return null;
    }

    @Test
    void everyTaskHasATimeout() {
        tasks.forEach((name, task) -> assertTrue(
                task.has("TimeoutSeconds") || task.has("TimeoutSecondsPath"),
                "Task '" + name + "' has neither TimeoutSeconds nor TimeoutSecondsPath"));
    }

    @Test
    void desktopDispatchWaitsForTheDaemonWithAHeartbeatAndIsRetriedOnlyWhenItNeverRan() {
        String name = onlyTaskInvoking("DesktopDispatchFunction");
        JsonNode task = tasks.get(name);
        assertEquals(WAIT_FOR_TOKEN, task.path("Resource").asText(), name + " Resource");
        assertEquals("$$.Task.Token", task.path("Parameters").path("Payload").path("taskToken.$").asText(),
                name + " must hand its task token to the dispatch function");
        assertTrue(task.has("HeartbeatSeconds") || task.has("HeartbeatSecondsPath"), name + " has no heartbeat");
        task.path("Retry").forEach(retrier -> assertTrue(DISPATCH_NEVER_RAN.containsAll(errorsOf(retrier)),
                name + " retries an error after which the dispatch may have reached the daemon (a replay would"
                        + " race it): " + retrier));
        for (String error : DESKTOP_MUST_RETRY) {
            JsonNode retrier = retrierFor(task, error);
            assertNotNull(retrier, name + " does not retry " + error + ", though the function never ran");
            assertTrue(retrier.path("MaxAttempts").asInt(3) > 0, name + " retries " + error + " zero times");
        }
        if (task.has("HeartbeatSeconds") && task.has("TimeoutSeconds")) {
            assertTrue(task.path("HeartbeatSeconds").asLong() < task.path("TimeoutSeconds").asLong(),
                    name + " HeartbeatSeconds must be below its TimeoutSeconds");
        }
    }

    @Test
    void onlyTheDesktopDispatchWaitsForATaskToken() {
        String desktop = onlyTaskInvoking("DesktopDispatchFunction");
        tasks.forEach((name, task) -> {
            if (!name.equals(desktop)) {
                assertFalse(task.path("Resource").asText().endsWith(".waitForTaskToken"),
                        "Task '" + name + "' waits for a task token that nothing sends");
            }
        });
    }

    @Test
    void desktopRunsAreRoutedToTheDesktopDispatch() {
        String desktop = onlyTaskInvoking("DesktopDispatchFunction");
        String hosted = onlyTaskInvoking("HostedDispatchFunction");
        JsonNode choice = definition.path("States").path(definition.path("StartAt").asText());
        assertEquals("Choice", choice.path("Type").asText(), "the run starts by routing on its target");
        boolean routed = StreamSupport.stream(choice.path("Choices").spliterator(), false).anyMatch(rule ->
                "$.target".equals(rule.path("Variable").asText())
                        && "desktop".equals(rule.path("StringEquals").asText())
                        && desktop.equals(rule.path("Next").asText()));
        assertTrue(routed, "no Choice rule sends target 'desktop' to '" + desktop + "'");
        assertEquals(hosted, choice.path("Default").asText(), "hosted runs are the Choice's Default");
    }

    @Test
    void hostedDispatchRecoversCrashesSnapStartThrottlesTimeoutsAndRetryableErrorsWithBackoffAndJitter() {
        String name = onlyTaskInvoking("HostedDispatchFunction");
        JsonNode task = tasks.get(name);
        for (String error : HOSTED_RECOVERABLE) {
            JsonNode retrier = retrierFor(task, error);
            assertNotNull(retrier, name + " has no Retry for " + error);
            assertTrue(retrier.path("MaxAttempts").asInt(3) > 0, name + " retries " + error + " zero times");
            assertTrue(retrier.path("BackoffRate").asDouble(2.0) > 1.0,
                    name + " retries " + error + " without backoff: " + retrier);
            assertEquals("FULL", retrier.path("JitterStrategy").asText(),
                    name + " retries " + error + " without full jitter: " + retrier);
        }
    }

    @Test
    void staleAttemptsFatalAgentErrorsAndOversizedOutputsAreNeverRetried() {
        for (String dispatch : List.of("HostedDispatchFunction", "DesktopDispatchFunction")) {
            String name = onlyTaskInvoking(dispatch);
            for (String error : NEVER_RETRIED) {
                JsonNode retrier = retrierFor(tasks.get(name), error);
                assertTrue(retrier == null || retrier.path("MaxAttempts").asInt(3) == 0,
                        "Task '" + name + "' retries " + error + " (the first retrier naming it must have MaxAttempts 0): " + retrier);
            }
        }
    }

    @Test
    void theHostedAttemptIsNumberedByStepFunctionsAndTheExecutionCarriesIdsOnly() {
        tasks.forEach((name, task) -> assertFalse(task.path("Parameters").path("Payload").has("input.$"),
                "Task '" + name + "' passes the run's input through the execution; it must read it from the store"));
        JsonNode hosted = tasks.get(onlyTaskInvoking("HostedDispatchFunction"));
        assertEquals("$$.State.RetryCount", hosted.path("Parameters").path("Payload").path("retryCount.$").asText(),
                "the attempt number must come from Step Functions, not from which Lambda arrives first");
    }

    @Test
    void recordStepsAreRetriedOnEveryError() {
        for (String name : tasksInvoking("FinalizeFunction")) {
            JsonNode retrier = retrierFor(tasks.get(name), "Lambda.Unknown");
            assertNotNull(retrier, name + " has no retrier for every error");
            assertEquals(List.of("States.ALL"), errorsOf(retrier), name + " must retry States.ALL (it is idempotent)");
            assertTrue(retrier.path("MaxAttempts").asInt(3) > 0, name + " retries zero times");
        }
    }

    @Test
    void failStatesNameTheirOwnErrorNeverAStatesOne() {
        definition.path("States").properties().forEach(e -> {
            JsonNode state = e.getValue();
            if (!"Fail".equals(state.path("Type").asText())) return;
            assertFalse(state.path("Error").asText("").startsWith("States."), e.getKey() + " Error");
            if (state.has("ErrorPath")) {
                // The path must point at what a Record step answers (FinalizeHandler: RunFailed, RunTimedOut, RunCancelled).
                String path = state.path("ErrorPath").asText();
                boolean fromRecordStep = tasksInvoking("FinalizeFunction").stream().anyMatch(record -> {
                    JsonNode task = tasks.get(record);
                    return path.startsWith(task.path("ResultPath").asText("~") + ".")
                            && "$.Payload.error".equals(task.path("ResultSelector").path("error.$").asText());
                });
                assertTrue(fromRecordStep, e.getKey() + " ErrorPath " + path + " is not the error a Record step answers"
                        + " (an error copied from a Task, like States.Timeout, would end the execution in States.Runtime)");
            }
        });
    }

    @Test
    void everyTaskCatchesAllErrorsIntoARecordStep() {
        List<String> recordSteps = tasksInvoking("FinalizeFunction");
        assertFalse(recordSteps.isEmpty(), "no Record step invokes FinalizeFunction");
        tasks.forEach((name, task) -> {
            if (recordSteps.contains(name)) return; // a failing Record step fails the execution: the reaper records it
            JsonNode catchAll = StreamSupport.stream(task.path("Catch").spliterator(), false)
                    .filter(c -> errorsOf(c).contains("States.ALL"))
                    .findFirst().orElse(null);
            assertNotNull(catchAll, "Task '" + name + "' has no Catch of States.ALL");
            assertTrue(recordSteps.contains(catchAll.path("Next").asText()),
                    "Task '" + name + "' catches into '" + catchAll.path("Next").asText()
                            + "', not a Record step " + recordSteps);
            String resultPath = catchAll.path("ResultPath").asText("");
            assertTrue(resultPath.startsWith("$.") && resultPath.length() > 2,
                    "Task '" + name + "' Catch must keep the run's input (runId) and add the error under a"
                            + " field, e.g. ResultPath $.error; it has " + catchAll.path("ResultPath"));
        });
    }
}
