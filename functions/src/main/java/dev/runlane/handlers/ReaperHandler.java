package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.runlane.domain.Workflow.Execution;
import dev.runlane.domain.Workflow.Status;
import dev.runlane.runs.Finalizer;
import dev.runlane.runs.Outcome;
import dev.runlane.runs.RunIds;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Finalizes a run whose execution ended FAILED, TIMED_OUT or ABORTED, perhaps without reaching its
 * Record step (stopped in the console, execution timeout). Idempotent: a run that already ended keeps
 * its outcome.
 */
@Named("reaper")
public class ReaperHandler implements RequestHandler<ExecutionStatusChange, Map<String, Object>> {
    private static final Logger LOG = Logger.getLogger(ReaperHandler.class.getName());

    @Inject
    Finalizer finalizer;

    @Override
    public Map<String, Object> handleRequest(ExecutionStatusChange event, Context context) {
        ExecutionStatusChange.Detail detail = event.detail();
        if (detail == null || !RunIds.isValid(detail.name())) {
            LOG.warning("ignored an execution status change without a run's execution name");
            return Map.of("ended", false);
        }
        Status status = switch (String.valueOf(detail.status())) {
            case "FAILED" -> Status.FAILED;
            case "TIMED_OUT" -> Status.TIMED_OUT;
            case "ABORTED" -> Status.ABORTED;
            default -> null;
        };
        if (status == null) {
            LOG.warning(() -> "ignored execution " + detail.executionArn() + " in status " + detail.status());
            return Map.of("ended", false);
        }
        Execution execution = new Execution(detail.executionArn(), status, detail.output(), detail.error(), detail.cause());
        return Map.of("runId", detail.name(), "ended", finalizer.finish(detail.name(), Optional.of(Outcome.ofExecution(execution))).endedNow());
    }
}
