package dev.runlane.localcloud.lambda;

/** Every sandbox of the function is busy and too many invocations already wait (Lambda's 429). */
public final class TooManyRequestsException extends RuntimeException {
    public TooManyRequestsException(String function) {
        super("Rate Exceeded. (" + function + ": all sandboxes busy and the wait queue is full)");
    }
}
