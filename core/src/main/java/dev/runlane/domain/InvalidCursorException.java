package dev.runlane.domain;

/** A pagination cursor that this store did not issue, or issued for another listing. */
public class InvalidCursorException extends RuntimeException {
    public InvalidCursorException() {
        super("nextToken is not one this listing returned");
    }
}
