package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/** A scenario class: the shared stack and its API, started once for the whole test run. */
@ExtendWith(StackExtension.class)
abstract class Scenario {
    static E2eStack stack;
    static Api api;

    @BeforeAll
    static void connect(E2eStack shared) {
        stack = shared;
        api = shared.api();
    }

    /**
     * The execution of a hosted run that a cancel ended was stopped by it: ABORTED; or, when the run's attempt wrote
     * between the cancel's fence-out and its StopExecution, ended by itself FAILED {@code RunCancelled} (the error its
     * run records) before the cancel was answered. Ending any other way, or later, means it was never stopped.
     */
    static void awaitStoppedByCancel(String executionArn, Instant cancelAnswered) {
        DescribeExecutionResponse ended = Poll.until(Duration.ofSeconds(20), "execution " + executionArn + " has ended",
                () -> stack.sfn().describeExecution(r -> r.executionArn(executionArn)),
                execution -> execution.status() != ExecutionStatus.RUNNING);
        if (ended.status() != ExecutionStatus.ABORTED) {
            assertEquals(ExecutionStatus.FAILED, ended.status(), ended.toString());
            assertEquals("RunCancelled", ended.error(), ended.toString());
            assertFalse(ended.stopDate().isAfter(cancelAnswered), "it ended after the cancel was answered: " + ended);
            System.out.println("[e2e] execution " + executionArn + " ended FAILED RunCancelled by itself: its attempt was "
                    + "fenced out before the cancel's StopExecution");
        }
    }
}
