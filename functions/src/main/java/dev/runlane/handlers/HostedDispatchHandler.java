package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.runlane.dispatch.Dispatcher;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.time.Duration;

/**
 * One attempt of a hosted run. Errors propagate as Lambda errors, named by their class: the state
 * machine retries every error but a stale attempt, a fatal agent error and an output too large.
 */
@Named("hosted-dispatch")
public class HostedDispatchHandler implements RequestHandler<DispatchTask, Dispatcher.HostedResult> {

    @Inject
    Dispatcher dispatcher;

    @Override
    public Dispatcher.HostedResult handleRequest(DispatchTask task, Context context) {
        task.requireIds();
        try (LogContext log = LogContext.of(context).run(task.runId(), task.threadId()).attempt(task.attempt())) {
            // The function's timeout is the attempt's: its remaining time is the attempt's deadline.
            return dispatcher.runHosted(task.runId(), task.threadId(), task.attempt(),
                    () -> Duration.ofMillis(context.getRemainingTimeInMillis()));
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("attempt interrupted", stopped);
        }
    }
}
