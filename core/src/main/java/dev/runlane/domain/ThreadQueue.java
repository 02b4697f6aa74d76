package dev.runlane.domain;

/** The FIFO queue with one message group per thread: the only single-execution guarantee. */
public interface ThreadQueue {

    /** Enqueues the run on its thread; returns its sequence number (its place in the thread). */
    String enqueue(String threadId, String runId);

    /** Keeps the thread's head message in flight, so no later run of the thread is delivered. */
    void hold(String receiptHandle, int seconds);

    /** Lets the gate see the thread's head message again at once. An expired receipt is ignored. */
    void release(String receiptHandle);

    /**
     * The run's message is done (the run has ended): deleted, so SQS delivers the thread's next run
     * at once. A receipt that no longer deletes it (the message was received again since) releases it
     * instead, and the gate deletes it on that delivery.
     */
    void done(String receiptHandle);

    /** Moves a message the gate cannot read aside, so it neither blocks its thread nor is lost. */
    void deadLetter(QueueMessage message, String reason);
}
