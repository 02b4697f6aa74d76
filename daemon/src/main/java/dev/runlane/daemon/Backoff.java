package dev.runlane.daemon;

import java.time.Duration;

/** Capped exponential backoff: first, 2×first, 4×first, … up to cap. Not thread-safe: one per loop. */
public final class Backoff {

    private final Duration first;
    private final Duration cap;
    private Duration next;

    public Backoff(Duration first, Duration cap) {
        this.first = first;
        this.cap = cap;
        this.next = first;
    }

    /** The delay to wait now; the following one is twice as long, up to the cap. */
    public Duration next() {
        Duration now = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(cap) > 0 ? cap : doubled;
        return now;
    }

    public void reset() {
        next = first;
    }
}
