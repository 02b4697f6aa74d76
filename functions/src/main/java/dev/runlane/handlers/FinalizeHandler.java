package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.runlane.runs.Finalizer;
import dev.runlane.runs.Outcome;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.Map;
import java.util.Optional;

/** The state machine's Record success / Record failure steps. */
@Named("finalize")
public class FinalizeHandler implements RequestHandler<FinalizeTask, Map<String, Object>> {

    @Inject
    Finalizer finalizer;

    @Override
    public Map<String, Object> handleRequest(FinalizeTask task, Context context) {
        if (task.runId() == null) {
            throw new IllegalArgumentException("a finalize task needs runId");
        }
        Optional<Outcome> outcome = task.error() == null
                ? Optional.of(Outcome.succeeded(task.output() == null ? null : task.output().toString()))
                : Outcome.ofTaskError(task.error().error(), task.error().cause());
        return Map.of("runId", task.runId(), "ended", finalizer.finish(task.runId(), outcome));
    }
}
