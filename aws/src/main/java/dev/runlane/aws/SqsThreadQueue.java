package dev.runlane.aws;

import dev.runlane.domain.QueueMessage;
import dev.runlane.domain.ThreadQueue;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.SqsException;

import java.util.Map;
import java.util.logging.Logger;


/** The thread queue on SQS FIFO: message group = thread, deduplication id = run. */
public class SqsThreadQueue implements ThreadQueue {
    private static final Logger LOG = Logger.getLogger(SqsThreadQueue.class.getName());

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
        } catch (SqsException expired) {
            // The message was deleted or received again since: the gate sees the run's end either way.
            LOG.fine(() -> "release skipped: " + expired.awsErrorDetails().errorCode());
        }
    }

    @Override
    public void done(String receiptHandle) {
        try {
            sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(receiptHandle));
        } catch (SqsException stale) {
            LOG.fine(() -> "delete refused (" + stale.awsErrorDetails().errorCode() + "): released instead");
            release(receiptHandle);
        }
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
