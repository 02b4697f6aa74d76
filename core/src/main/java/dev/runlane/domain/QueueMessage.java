package dev.runlane.domain;

/**
 * A thread queue message as delivered to the gate. {@code queuePosition} is its FIFO sequence number
 * padded to sort as text (null when unknown), the same form as a run's {@code queueSeq}.
 */
public record QueueMessage(String messageId, String receiptHandle, String body, String groupId,
                           String deduplicationId, String queuePosition) {

    public QueueMessage(String messageId, String receiptHandle, String body, String groupId, String deduplicationId) {
        this(messageId, receiptHandle, body, groupId, deduplicationId, null);
    }

    /**
     * The body of a run's thread message: its ids, which the gate reads back. Ids are validated
     * (RunIds.ID: letters, digits, '-', '_'), so they need no JSON escaping.
     */
    public static String body(String threadId, String runId) {
        return "{\"runId\":\"" + runId + "\",\"threadId\":\"" + threadId + "\"}";
    }

    /** SQS sequence numbers grow within a group but vary in length: padded, they sort as text. */
    public static String position(String sequenceNumber) {
        return sequenceNumber == null ? null : "0".repeat(Math.max(0, 40 - sequenceNumber.length())) + sequenceNumber;
    }
}
