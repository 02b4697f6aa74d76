package dev.runlane.localcloud.lambda;

import dev.runlane.localcloud.faults.FaultKind;

/** Lambda refused the Invoke call itself (the function never ran): an Invoke API error with its status and type. */
public class InvokeRejectedException extends RuntimeException {
    private final int status;
    private final String errorType;
    private final String messageField;

    /** @param messageField the body's message field: Lambda spells it "message" or "Message" depending on the error */
    InvokeRejectedException(int status, String errorType, String messageField, String message) {
        super(message);
        this.status = status;
        this.errorType = errorType;
        this.messageField = messageField;
    }

    public int status() {
        return status;
    }

    public String errorType() {
        return errorType;
    }

    public String messageField() {
        return messageField;
    }

    /** The rejection an injected fault of this kind stands for, with Lambda's own messages. */
    static InvokeRejectedException injected(FaultKind kind) {
        return switch (kind) {
            case THROTTLE -> new TooManyRequestsException();
            case SNAP_START_NOT_READY -> new InvokeRejectedException(409, "SnapStartNotReadyException", "Message",
                    "Lambda is initializing your function. You can invoke the function when the function state becomes Active.");
            case SNAP_START_TIMEOUT -> new InvokeRejectedException(408, "SnapStartTimeoutException", "Message",
                    "Lambda couldn't restore the snapshot within the timeout limit.");
            default -> throw new IllegalArgumentException(kind + " does not reject an Invoke call");
        };
    }
}
