package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.runlane.domain.Run;
import dev.runlane.runs.Finalizer;
import dev.runlane.runs.Outcome;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The state machine's Record success / Record failure steps. The answer names the error the run
 * records, for the Fail state that ends a failed execution: RunFailed, RunTimedOut or RunCancelled
 * (a Fail state's error may not start with "States."), with the run's code and message as cause.
 */
@Named("finalize")
public class FinalizeHandler implements RequestHandler<FinalizeTask, Map<String, Object>> {

    @Inject
    Finalizer finalizer;

    @Override
    public Map<String, Object> handleRequest(FinalizeTask task, Context context) {
        if (task.runId() == null) {
            throw new IllegalArgumentException("a finalize task needs runId");
        }
        Optional<Outcome> outcome = task.error() == null ? Optional.of(Outcome.succeeded())
                : Outcome.ofTaskError(task.error().error(), task.error().cause());
        Finalizer.Finished finished;
        try (LogContext log = LogContext.of(context).run(task.runId(), null)) {
            finished = finalizer.record(task.runId(), outcome);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("runId", task.runId());
        answer.put("ended", finished.endedNow());
        Run run = finished.run();
        if (run != null) {
            answer.put("error", switch (run.status()) {
                case TIMED_OUT -> "RunTimedOut";
                case CANCELLED -> "RunCancelled";
                default -> "RunFailed";
            });
            answer.put("cause", run.error() == null ? "the run is " + run.status()
                    : run.error().code() + ": " + run.error().message());
        } else {
            answer.put("error", "RunFailed");
            answer.put("cause", "no run " + task.runId());
        }
        return answer;
    }
}
