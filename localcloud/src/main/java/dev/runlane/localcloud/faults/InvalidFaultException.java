package dev.runlane.localcloud.faults;

/** A fault that cannot be armed; the message says which field is wrong and why. */
public final class InvalidFaultException extends IllegalArgumentException {
    public InvalidFaultException(String message) {
        super(message);
    }
}
