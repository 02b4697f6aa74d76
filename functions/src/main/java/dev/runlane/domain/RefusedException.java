package dev.runlane.domain;

/** A request runlane refuses, with a stable code and a message that says what to fix. */
public class RefusedException extends RuntimeException {

    public enum Kind { INVALID, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, TOO_MANY_REQUESTS }

    private final Kind kind;
    private final String code;

    public RefusedException(Kind kind, String code, String message) {
        super(message);
        this.kind = kind;
        this.code = code;
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
}
