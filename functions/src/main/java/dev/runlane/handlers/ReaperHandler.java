package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
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
 * its outcome. The event is EventBridge's "Step Functions Execution Status Change"; its detail's fields
 * (executionArn, name, status, output, error, cause) are all strings or null.
 */
@Named("reaper")
public class ReaperHandler implements RequestHandler<ScheduledEvent, Map<String, Object>> {
    private static final Logger LOG = Logger.getLogger(ReaperHandler.class.getName());

    @Inject
    Finalizer finalizer;

    @Override
    public Map<String, Object> handleRequest(ScheduledEvent event, Context context) {
        Map<String, Object> detail = event.getDetail();
        String name = text(detail, "name");
        if (detail == null || !RunIds.isValid(name)) {
            LOG.warning("ignored an execution status change without a run's execution name");
            return Map.of("ended", false);
        }
        String executionArn = text(detail, "executionArn");
        String reported = text(detail, "status");
        Status status = switch (String.valueOf(reported)) {
            case "FAILED" -> Status.FAILED;
            case "TIMED_OUT" -> Status.TIMED_OUT;
            case "ABORTED" -> Status.ABORTED;
            default -> null;
        };
        if (status == null) {
            LOG.warning(() -> "ignored execution " + executionArn + " in status " + reported);
            return Map.of("ended", false);
        }
        Execution execution = new Execution(executionArn, status, text(detail, "output"), text(detail, "error"),
                text(detail, "cause"));
        try (LogContext log = LogContext.of(context).run(name, null)) {
            return Map.of("runId", name, "ended", finalizer.finish(name, Optional.of(Outcome.ofExecution(execution))).endedNow());
        }
    }

    /** A field of the detail as text (a JSON string, or a scalar's text), or null when absent or null. */
    private static String text(Map<String, Object> detail, String field) {
        Object value = detail == null ? null : detail.get(field);
        return value == null ? null : value.toString();
    }
}
