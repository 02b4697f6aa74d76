package dev.runlane.e2e;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.opentest4j.AssertionFailedError;

/**
 * Observes that a state holds for a window: every read within it must satisfy the condition. An
 * observation, not a synchronisation: it waits for nothing to happen and fails at the first read
 * that breaks the condition. Reads are paced by {@link Poll}'s interval.
 */
final class Observe {
    private Observe() {}

    /** Reads {@code read} until {@code window} has passed; fails at once if a read breaks {@code holds}. Returns the last value. */
    static <T> T holdsFor(Duration window, String what, Supplier<T> read, Predicate<? super T> holds) {
        Instant began = Instant.now();
        long end = System.nanoTime() + window.toNanos();
        // The bound leaves room for reads that fail transiently (Poll retries them) past the window.
        return Poll.until(window.plusSeconds(30), what + " holds for " + window.toMillis() / 1000.0 + " s", read, value -> {
            if (!holds.test(value)) {
                // An Error, not a RuntimeException: Poll does not retry it.
                throw new AssertionFailedError(what + " stopped holding after "
                        + Duration.between(began, Instant.now()).toMillis() / 1000.0 + " s: " + value);
            }
            return System.nanoTime() - end >= 0;
        });
    }
}
