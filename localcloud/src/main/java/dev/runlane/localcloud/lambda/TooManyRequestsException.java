package dev.runlane.localcloud.lambda;

/** Lambda's 429: the function's reserved concurrency is reached, or a throttle fault. */
public final class TooManyRequestsException extends InvokeRejectedException {
    public TooManyRequestsException(String function, int reservedConcurrency) {
        super(429, "TooManyRequestsException", "message",
                "Rate Exceeded. (" + function + ": its reserved concurrency, " + reservedConcurrency + ", is reached)");
    }

    /** Exactly as Lambda words it when a function's concurrency is exhausted. */
    TooManyRequestsException() {
        super(429, "TooManyRequestsException", "message", "Rate Exceeded.");
    }
}
