package dev.runlane.domain;

/** A report for a task that is no longer waiting (it timed out, or its execution ended). */
public class TaskEndedException extends RuntimeException {
    public TaskEndedException(String message) {
        super(message);
    }
}
