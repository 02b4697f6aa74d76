package dev.runlane.handlers;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The payload the run state machine gives a dispatch Task: ids only (the run's input is stored apart).
 * {@code retryCount} is the Task's {@code $$.State.RetryCount}: attempt = retryCount + 1, as Step
 * Functions ordered it. taskToken and daemonId are for desktop runs only.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DispatchTask(String runId, String threadId, Integer retryCount, String daemonId, String taskToken) {

    DispatchTask requireIds() {
        if (runId == null || threadId == null) {
            throw new IllegalArgumentException("a dispatch task needs runId and threadId");
        }
        return this;
    }

    /** The hosted attempt's number. */
    public int attempt() {
        if (retryCount == null || retryCount < 0) {
            throw new IllegalArgumentException("a hosted dispatch task needs retryCount ($$.State.RetryCount)");
        }
        return retryCount + 1;
    }
}
