package dev.runlane.domain;

/** A thread queue message as delivered to the gate. */
public record QueueMessage(String messageId, String receiptHandle, String body, String groupId,
                           String deduplicationId) {
}
