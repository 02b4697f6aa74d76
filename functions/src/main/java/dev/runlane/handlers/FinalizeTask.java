package dev.runlane.handlers;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/** The payload of the state machine's Record steps: the run's output, or the error its Catch caught. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FinalizeTask(String runId, JsonNode output, TaskError error) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TaskError(@JsonProperty("Error") String error, @JsonProperty("Cause") String cause) {
    }
}
