package dev.runlane.aws;

import dev.runlane.domain.Workflow;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

import java.util.Optional;

/** The run workflow on Step Functions: the execution of a run is named after its runId. */
public class StepFunctionsWorkflow implements Workflow {
    private final SfnClient sfn;
    private final String stateMachineArn;

    public StepFunctionsWorkflow(SfnClient sfn, String stateMachineArn) {
        this.sfn = sfn;
        this.stateMachineArn = stateMachineArn;
    }

    @Override
    public String start(String runId, String input) {
        try {
            return sfn.startExecution(r -> r.stateMachineArn(stateMachineArn).name(runId).input(input)).executionArn();
        } catch (ExecutionAlreadyExistsException exists) {
            return executionArn(runId);
        }
    }

    @Override
    public Optional<Execution> describe(String runId) {
        try {
            DescribeExecutionResponse execution = sfn.describeExecution(r -> r.executionArn(executionArn(runId)));
            return Optional.of(new Execution(execution.executionArn(), status(execution.status()), execution.output(),
                    execution.error(), execution.cause()));
        } catch (ExecutionDoesNotExistException absent) {
            return Optional.empty();
        }
    }

    @Override
    public void stop(String runId, String error, String cause) {
        try {
            sfn.stopExecution(r -> r.executionArn(executionArn(runId)).error(error).cause(cause));
        } catch (ExecutionDoesNotExistException neverStarted) {
            // A queued run has no execution.
        }
    }

    /** arn:…:stateMachine:NAME → arn:…:execution:NAME:RUN_ID */
    String executionArn(String runId) {
        return stateMachineArn.replaceFirst(":stateMachine:", ":execution:") + ":" + runId;
    }

    private static Status status(ExecutionStatus status) {
        return switch (status) {
            case SUCCEEDED -> Status.SUCCEEDED;
            case FAILED -> Status.FAILED;
            case TIMED_OUT -> Status.TIMED_OUT;
            case ABORTED -> Status.ABORTED;
            default -> Status.RUNNING;
        };
    }
}
