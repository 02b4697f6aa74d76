package dev.runlane.runs;

import dev.runlane.agent.FatalAgentException;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.StaleAttemptException;
import dev.runlane.domain.Workflow.Execution;
import dev.runlane.domain.Workflow.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutcomeTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"States.Timeout, TIMED_OUT", "States.HeartbeatTimeout, TIMED_OUT", "Sandbox.Timedout, TIMED_OUT",
            "States.TaskFailed, FAILED", "Lambda.ServiceException, FAILED"})
    void taskErrorsDecideTheStatus(String error, RunStatus status) {
        assertEquals(status, Outcome.ofTaskError(error, "cause").orElseThrow().status());
    }

    @Test
    void aStaleAttemptDecidesNothing() {
        assertTrue(Outcome.ofTaskError(StaleAttemptException.class.getName(), "{}").isEmpty());
    }

    @Test
    void agentErrorsShowTheirMessageWithoutStackTrace() {
        Outcome outcome = Outcome.ofTaskError(FatalAgentException.class.getName(),
                "{\"errorMessage\":\"simulated fatal error\",\"errorType\":\"x\",\"stackTrace\":[\"at a.b(C.java:1)\"]}")
                .orElseThrow();
        assertEquals(RunStatus.FAILED, outcome.status());
        assertEquals("FatalAgentException", outcome.error().code());
        assertEquals("simulated fatal error", outcome.error().message());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"SUCCEEDED, SUCCEEDED", "FAILED, FAILED", "TIMED_OUT, TIMED_OUT", "ABORTED, CANCELLED"})
    void endedExecutionsDecideTheStatus(Status execution, RunStatus status) {
        assertEquals(status, Outcome.ofExecution(new Execution("arn", execution, "{}", "States.TaskFailed", "x")).status());
    }

    @Test
    void aRunningExecutionHasNoOutcome() {
        assertThrows(IllegalArgumentException.class,
                () -> Outcome.ofExecution(new Execution("arn", Status.RUNNING, null, null, null)));
    }
}
