package dev.runlane.handlers;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/** An SQS event source batch (the fields the gate reads). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SqsEvent(@JsonProperty("Records") List<Message> records) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Message(String messageId, String receiptHandle, String body, Map<String, String> attributes) {
        String attribute(String name) {
            return attributes == null ? null : attributes.get(name);
        }
    }

    /** The partial batch response: the messages to keep. */
    public record BatchResponse(List<Failure> batchItemFailures) {
    }

    public record Failure(String itemIdentifier) {
    }
}
