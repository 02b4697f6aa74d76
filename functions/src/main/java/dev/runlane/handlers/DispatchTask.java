package dev.runlane.handlers;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

/** The payload the run state machine gives a dispatch Task (taskToken and daemonId for desktop runs only). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DispatchTask(String runId, String threadId, String daemonId, JsonNode input, String taskToken) {

    DispatchTask requireIds() {
        if (runId == null || threadId == null || input == null) {
            throw new IllegalArgumentException("a dispatch task needs runId, threadId and input");
        }
        return this;
    }
}
