package dev.runlane.e2e;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.opentest4j.AssertionFailedError;

/**
 * Waits for a condition by polling, within an explicit bound. The only pause in the suite is the
 * poll interval here: no scenario sleeps to synchronise.
 */
public final class Poll {
    private static final Duration INTERVAL = Duration.ofMillis(150);

    private Poll() {}

    /**
     * Polls {@code read} until {@code done} holds and returns that value; after {@code bound} fails
     * with {@code what} and the last value read (or the last error).
     */
    public static <T> T until(Duration bound, String what, Supplier<T> read, Predicate<? super T> done) {
        long deadline = System.nanoTime() + bound.toNanos();
        T last = null;
        RuntimeException lastError = null;
        while (true) {
            try {
                last = read.get();
                lastError = null;
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                lastError = e;
            }
            if (System.nanoTime() - deadline > 0) {
                String message = "not within " + bound.toMillis() / 1000.0 + " s: " + what + "; last value: " + last;
                AssertionFailedError failure = new AssertionFailedError(message);
                if (lastError != null) {
                    failure.initCause(lastError);
                }
                throw failure;
            }
            try {
                Thread.sleep(INTERVAL); // poll interval, bounded by the deadline above
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionFailedError("interrupted while waiting: " + what);
            }
        }
    }
}
