package dev.runlane.domain;

/** A run's life: QUEUED → RUNNING → one terminal status. Terminal statuses never change. */
public enum RunStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT;

    public boolean isTerminal() {
        return this != QUEUED && this != RUNNING;
    }

    public boolean canBecome(RunStatus next) {
        return switch (this) {
            case QUEUED -> next != QUEUED;
            case RUNNING -> next.isTerminal();
            default -> false;
        };
    }
}
