package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.runlane.dispatch.Dispatcher;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.Map;

/** Dispatch of a desktop run: leaves its start frame for the daemon; the execution then waits on the task token. */
@Named("desktop-dispatch")
public class DesktopDispatchHandler implements RequestHandler<DispatchTask, Map<String, Long>> {

    @Inject
    Dispatcher dispatcher;

    @Override
    public Map<String, Long> handleRequest(DispatchTask task, Context context) {
        task.requireIds();
        if (task.daemonId() == null || task.taskToken() == null) {
            throw new IllegalArgumentException("a desktop dispatch task needs daemonId and taskToken");
        }
        try (LogContext log = LogContext.of(context).run(task.runId(), task.threadId()).attempt(1).daemon(task.daemonId())) {
            return Map.of("fenceToken", dispatcher.dispatchDesktop(task.runId(), task.threadId(), task.daemonId(), task.taskToken()));
        }
    }
}
