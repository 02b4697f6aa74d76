package dev.runlane.agent;

/** A failure that another attempt would repeat: the run fails at once. */
public class FatalAgentException extends RuntimeException {
    public FatalAgentException(String message) {
        super(message);
    }
}
