package dev.runlane.handlers;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** EventBridge "Step Functions Execution Status Change" event (the fields the reaper reads). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExecutionStatusChange(Detail detail) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Detail(String executionArn, String stateMachineArn, String name, String status, String output,
                         String error, String cause) {
    }
}
