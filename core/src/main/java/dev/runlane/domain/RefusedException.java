package dev.runlane.domain;

/**
 * A request runlane refuses, with a stable code and a message that says what to fix. The kind says
 * why in the domain's words; the API maps each kind to its HTTP status.
 */
public class RefusedException extends RuntimeException {

    public enum Kind {
        /** The request is malformed or breaks a rule of its fields. */
        INVALID,
        /** No known caller: a missing or unknown credential. */
        UNAUTHENTICATED,
        /** A known caller asks for what is not theirs. */
        NOT_PERMITTED,
        NOT_FOUND,
        /** The request disagrees with the current state (a busy thread, a reused key, an ended run). */
        CONFLICT,
        TOO_LARGE,
        /** A limit is reached (a thread's queue is full, a caller holds its most long polls); the same request may succeed later. */
        LIMIT_REACHED
    }

    private final Kind kind;
    private final String code;
    private final Integer retryAfterSeconds;

    public RefusedException(Kind kind, String code, String message) {
        this(kind, code, message, null);
    }

    private RefusedException(Kind kind, String code, String message, Integer retryAfterSeconds) {
        super(message);
        this.kind = kind;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** A limit reached that frees itself: the same request may be sent again after {@code retryAfterSeconds}. */
    public static RefusedException limitReached(String code, String message, int retryAfterSeconds) {
        return new RefusedException(Kind.LIMIT_REACHED, code, message, retryAfterSeconds);
    }

    public static RefusedException invalid(String code, String message) {
        return new RefusedException(Kind.INVALID, code, message);
    }

    public Kind kind() {
        return kind;
    }

    public String code() {
        return code;
    }

    /** When the same request may succeed, in seconds; null when nothing says. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
