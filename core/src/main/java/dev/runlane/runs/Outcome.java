package dev.runlane.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.dispatch.OutputTooLargeException;
import dev.runlane.domain.RunError;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.StaleAttemptException;
import dev.runlane.domain.Workflow.Execution;

import java.util.Map;
import java.util.Optional;

/** How a run ends: its terminal status, with its error (a run's output is recorded by its attempt). */
public record Outcome(RunStatus status, RunError error) {
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final String STALE_ATTEMPT = StaleAttemptException.class.getName();
    /** runlane's own errors whose code is not their class's simple name. */
    private static final Map<String, String> CODES = Map.of(OutputTooLargeException.class.getName(), "OutputTooLarge");

    public Outcome {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException("an outcome is terminal, not " + status);
        }
    }

    public static Outcome succeeded() {
        return new Outcome(RunStatus.SUCCEEDED, null);
    }

    public static Outcome cancelled(String why) {
        return new Outcome(RunStatus.CANCELLED, new RunError("Cancelled", why));
    }

    /**
     * Cancelled by a later {@code cancel-others} start on its thread. One message whoever ends it (the
     * start, or the gate, which knows only the thread's queue position, not the run that set it).
     */
    public static Outcome superseded() {
        return new Outcome(RunStatus.CANCELLED, new RunError("Superseded",
                "superseded by a later run of its thread started with onBusy cancel-others"));
    }

    /** Cancelled by a cancel of its thread's queue ({@code POST /threads/{threadId}/cancel}). */
    public static Outcome cancelledWithThread() {
        return cancelled("cancelled with its thread's queue");
    }

    /** Its start failed (an error, a crash) after storing the run and was not completed by a retry. */
    public static Outcome startFailed() {
        return new Outcome(RunStatus.FAILED, new RunError("StartFailed",
                "the request that started this run failed before it completed; start it again"));
    }

    public static Outcome expired() {
        return new Outcome(RunStatus.EXPIRED, new RunError("Expired", "the run was still queued at its deadline"));
    }

    public static Outcome rejected() {
        return new Outcome(RunStatus.REJECTED, new RunError("ThreadBusy",
                "the thread was busy when the run was enqueued, and it was started with onBusy reject"));
    }

    /**
     * The outcome a Step Functions error decides, from its error name and cause. Empty for a stale
     * attempt: it was fenced out by whoever already ended the run, so it decides nothing.
     */
    public static Optional<Outcome> ofTaskError(String error, String cause) {
        if (STALE_ATTEMPT.equals(error)) {
            return Optional.empty();
        }
        RunStatus status = "States.Timeout".equals(error) || "States.HeartbeatTimeout".equals(error)
                || "Sandbox.Timedout".equals(error) ? RunStatus.TIMED_OUT : RunStatus.FAILED;
        return Optional.of(new Outcome(status, new RunError(shortName(error), readableCause(cause))));
    }

    /** The outcome of an execution that ended without recording one (stopped, timed out, failed). */
    public static Outcome ofExecution(Execution execution) {
        return switch (execution.status()) {
            case SUCCEEDED -> succeeded();
            case TIMED_OUT -> new Outcome(RunStatus.TIMED_OUT,
                    new RunError("ExecutionTimedOut", "the run's execution timed out"));
            case ABORTED -> new Outcome(RunStatus.CANCELLED,
                    new RunError("ExecutionAborted", "the run's execution was stopped"));
            case FAILED -> ofTaskError(execution.error(), execution.cause())
                    .orElse(new Outcome(RunStatus.FAILED, new RunError("ExecutionFailed", execution.cause())));
            case RUNNING -> throw new IllegalArgumentException("execution " + execution.arn() + " is still running");
        };
    }

    /** Agent errors arrive as Java class names; users see the simple name. */
    private static String shortName(String error) {
        if (error == null || error.isBlank()) {
            return "Failed";
        }
        if (CODES.containsKey(error)) {
            return CODES.get(error);
        }
        return error.startsWith("dev.runlane.") ? error.substring(error.lastIndexOf('.') + 1) : error;
    }

    /** A Lambda error's cause is JSON with a stack trace: keep only the message. */
    private static String readableCause(String cause) {
        if (cause == null || !cause.startsWith("{")) {
            return cause;
        }
        try {
            JsonNode node = JSON.readTree(cause);
            return node.hasNonNull("errorMessage") ? node.get("errorMessage").asText() : cause;
        } catch (Exception notJson) {
            return cause;
        }
    }
}
