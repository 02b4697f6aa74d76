package dev.runlane.localcloud.lambda;

/** Lambda's 429: every sandbox of the function is busy and too many invocations already wait, or a throttle fault. */
public final class TooManyRequestsException extends InvokeRejectedException {
    public TooManyRequestsException(String function) {
        super(429, "TooManyRequestsException", "message",
                "Rate Exceeded. (" + function + ": all sandboxes busy and the wait queue is full)");
    }

    /** Exactly as Lambda words it when a function's concurrency is exhausted. */
    TooManyRequestsException() {
        super(429, "TooManyRequestsException", "message", "Rate Exceeded.");
    }
}
