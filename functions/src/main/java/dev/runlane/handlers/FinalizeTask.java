package dev.runlane.handlers;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/** The payload of the state machine's Record steps: the run, and the error its Catch caught (failure only). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FinalizeTask(String runId, TaskError error) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TaskError(@JsonProperty("Error") String error, @JsonProperty("Cause") String cause) {
    }
}
