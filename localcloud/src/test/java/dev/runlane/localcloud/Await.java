package dev.runlane.localcloud;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds or a bound passes: the tests' only way to wait. */
public final class Await {
    private Await() {
    }

    public static void until(String what, Duration bound, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(bound);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + bound + " waiting for " + what);
            }
            try {
                Thread.sleep(50); // polling interval, bounded by the deadline above
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
