package dev.runlane.domain;

import java.util.Optional;

/** The run workflow: one execution per run, named after its runId. */
public interface Workflow {

    /** Starts the run's execution (idempotent for the same input); returns the execution's ARN. */
    String start(String runId, String input);

    Optional<Execution> describe(String runId);

    /** The ARN the run's execution has, or will have once started: known before it starts. */
    String executionArn(String runId);

    /** Stops the run's execution if it is running. */
    void stop(String runId, String error, String cause);

    /** Keeps a waiting task (a desktop run) alive. These three throw {@link TaskEndedException} for an ended task. */
    void heartbeat(String taskToken);

    /** Completes a waiting task with its output (JSON text). */
    void succeed(String taskToken, String output);

    void fail(String taskToken, String error, String cause);

    record Execution(String arn, Status status, String output, String error, String cause) {
        public boolean hasEnded() {
            return status != Status.RUNNING;
        }
    }

    enum Status { RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED }
}
