package dev.runlane.domain;

/**
 * A run's life: QUEUED → RUNNING → one terminal status. Terminal statuses never change. A run can
 * also end while queued, never having executed: CANCELLED, EXPIRED (its deadline passed) or REJECTED
 * (its thread was busy when it was enqueued, and it asked not to wait).
 */
public enum RunStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, EXPIRED, REJECTED;

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
