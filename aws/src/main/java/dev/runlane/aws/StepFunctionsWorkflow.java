package dev.runlane.aws;

import dev.runlane.domain.TaskEndedException;
import dev.runlane.domain.Workflow;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.InvalidTokenException;
import software.amazon.awssdk.services.sfn.model.TaskDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.TaskTimedOutException;

import java.util.Optional;

/**
 * The run workflow on Step Functions: the execution of a run is named after its runId. Task
 * callbacks need no state machine, so functions that only send those (the daemon API) get none.
 */
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
            return sfn.startExecution(r -> r.stateMachineArn(stateMachine()).name(runId).input(input)).executionArn();
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

    @Override
    public void heartbeat(String taskToken) {
        onTask(() -> sfn.sendTaskHeartbeat(r -> r.taskToken(taskToken)));
    }

    @Override
    public void succeed(String taskToken, String output) {
        onTask(() -> sfn.sendTaskSuccess(r -> r.taskToken(taskToken).output(output)));
    }

    @Override
    public void fail(String taskToken, String error, String cause) {
        onTask(() -> sfn.sendTaskFailure(r -> r.taskToken(taskToken).error(error).cause(cause)));
    }

    private static void onTask(Runnable call) {
        try {
            call.run();
        } catch (TaskTimedOutException | TaskDoesNotExistException | InvalidTokenException ended) {
            throw new TaskEndedException("the run's task is no longer waiting: " + ended.awsErrorDetails().errorCode());
        }
    }

    /** arn:…:stateMachine:NAME → arn:…:execution:NAME:RUN_ID */
    @Override
    public String executionArn(String runId) {
        return stateMachine().replaceFirst(":stateMachine:", ":execution:") + ":" + runId;
    }

    private String stateMachine() {
        if (stateMachineArn == null) {
            throw new IllegalStateException("RUNLANE_STATE_MACHINE_ARN is not set for this function");
        }
        return stateMachineArn;
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
