package dev.runlane.runs;

/** A request runlane refuses, with a stable code and a message that says what to fix. */
public class RunRequestException extends RuntimeException {

    public enum Kind { INVALID, NOT_FOUND, CONFLICT, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE }

    private final Kind kind;
    private final String code;

    public RunRequestException(Kind kind, String code, String message) {
        super(message);
        this.kind = kind;
        this.code = code;
    }

    public static RunRequestException invalid(String code, String message) {
        return new RunRequestException(Kind.INVALID, code, message);
    }

    public Kind kind() {
        return kind;
    }

    public String code() {
        return code;
    }
}
