package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import org.jboss.logging.MDC;

/**
 * The ids every log line of an invocation carries: the Lambda request id, and the run, thread and
 * attempt it is about. Quarkus' JSON logs print them under {@code mdc}; cleared when the invocation
 * ends, so a warm sandbox's next invocation starts clean.
 */
final class LogContext implements AutoCloseable {

    private LogContext() {
    }

    static LogContext of(Context lambda) {
        MDC.clear();
        put("requestId", lambda == null ? null : lambda.getAwsRequestId());
        return new LogContext();
    }

    LogContext run(String runId, String threadId) {
        put("runId", runId);
        put("threadId", threadId);
        return this;
    }

    LogContext attempt(Integer attempt) {
        put("attempt", attempt == null ? null : attempt.toString());
        return this;
    }

    LogContext daemon(String daemonId) {
        put("daemonId", daemonId);
        return this;
    }

    @Override
    public void close() {
        MDC.clear();
    }

    private static void put(String key, String value) {
        if (value != null) {
            MDC.put(key, value);
        }
    }
}
