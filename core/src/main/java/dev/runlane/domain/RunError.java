package dev.runlane.domain;

/** Why a run did not succeed: a stable code and a human message (never a stack trace). */
public record RunError(String code, String message) {
    private static final int MAX_MESSAGE = 2048;

    public RunError {
        if (message != null && message.length() > MAX_MESSAGE) {
            message = message.substring(0, MAX_MESSAGE) + "…";
        }
    }
}
