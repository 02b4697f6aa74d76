package dev.runlane.agent;

/** A failure worth another attempt; the run's workflow retries it (its class name is in the ASL Retry). */
public class RetryableAgentException extends RuntimeException {
    public RetryableAgentException(String message) {
        super(message);
    }
}
