package dev.runlane.aws;

import dev.runlane.domain.QueueMessage;
import dev.runlane.domain.ThreadQueue;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.SqsException;

import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;


/** The thread queue on SQS FIFO: message group = thread, deduplication id = run. */
public class SqsThreadQueue implements ThreadQueue {
    private static final Logger LOG = Logger.getLogger(SqsThreadQueue.class.getName());

    /** What SQS answers for a receipt of a message that is no longer in flight under it. */
    private static final Set<String> STALE_RECEIPT_CODES = Set.of("ReceiptHandleIsInvalid", "MessageNotInflight",
            "InvalidParameterValue");
    private final SqsClient sqs;
    private final String queueUrl;
    private final String deadLetterQueueUrl;

    public SqsThreadQueue(SqsClient sqs, String queueUrl, String deadLetterQueueUrl) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.deadLetterQueueUrl = deadLetterQueueUrl;
    }

    @Override
    public String enqueue(String threadId, String runId) {
        return QueueMessage.position(sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(QueueMessage.body(threadId, runId))
                .messageGroupId(threadId).messageDeduplicationId(runId)).sequenceNumber());
    }

    @Override
    public void hold(String receiptHandle, int seconds) {
        sqs.changeMessageVisibility(r -> r.queueUrl(queueUrl).receiptHandle(receiptHandle).visibilityTimeout(seconds));
    }

    @Override
    public void release(String receiptHandle) {
        try {
            sqs.changeMessageVisibility(r -> r.queueUrl(queueUrl).receiptHandle(receiptHandle).visibilityTimeout(0));
        } catch (SqsException e) {
            if (!isStale(e)) {
                throw e; // a throttle or a server error: the message is still held, and the caller must hear it
            }
            // The message was deleted or received again since: the gate sees the run's end either way.
            LOG.fine(() -> "release skipped: " + e.awsErrorDetails().errorCode());
        }
    }

    @Override
    public void done(String receiptHandle) {
        try {
            sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(receiptHandle));
        } catch (SqsException e) {
            if (!isStale(e)) {
                throw e;
            }
            LOG.fine(() -> "delete refused (" + e.awsErrorDetails().errorCode() + "): released instead");
            release(receiptHandle);
        }
    }

    /** The receipt no longer names the message in flight (deleted, received again, expired): not a failure to report. */
    private static boolean isStale(SqsException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        return STALE_RECEIPT_CODES.contains(code);
    }

    @Override
    public void deadLetter(QueueMessage message, String reason) {
        if (deadLetterQueueUrl == null) {
            throw new IllegalStateException("RUNLANE_DEAD_LETTER_QUEUE_URL is not set for this function");
        }
        sqs.sendMessage(r -> r.queueUrl(deadLetterQueueUrl).messageBody(message.body() == null ? "" : message.body())
                .messageGroupId(message.groupId()).messageDeduplicationId(message.messageId())
                .messageAttributes(Map.of("reason", MessageAttributeValue.builder().dataType("String")
                        .stringValue(reason).build())));
    }
}
