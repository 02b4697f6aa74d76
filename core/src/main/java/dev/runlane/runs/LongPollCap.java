package dev.runlane.runs;

import dev.runlane.domain.PollSlots;
import dev.runlane.domain.RefusedException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * At most {@code perCaller} long polls held at once by one caller (an IAM principal, a daemon). A poll that is
 * about to wait takes one of its caller's slots until it answers; the one that would be one too many is refused
 * at once, 429 {@code TooManyLongPolls} with Retry-After, instead of holding a function for its whole wait. A
 * flood of polls then costs the API a refusal each, never its capacity for starts and reads. A slot whose poll
 * died lapses shortly after the poll's deadline. A cap of 0 takes no slots.
 */
public final class LongPollCap {
    /** No cap: every poll waits. */
    public static final LongPollCap NONE = new LongPollCap(null, 0);
    /** How long a slot outlives its poll's deadline: the time to write the answer. */
    static final Duration MARGIN = Duration.ofSeconds(5);
    /** What a refused poll is told to wait: about the time a held poll gives its slot back when events flow. */
    static final int RETRY_AFTER_SECONDS = 2;
    private static final Logger LOG = Logger.getLogger(LongPollCap.class.getName());

    private final PollSlots slots;
    private final int perCaller;

    public LongPollCap(PollSlots slots, int perCaller) {
        if (perCaller < 0) {
            throw new IllegalArgumentException("perCaller must be 0 (no cap) or more");
        }
        this.slots = slots;
        this.perCaller = perCaller;
    }

    /**
     * A long poll of up to {@code wait}: looks at once, and if that does not answer, holds one of the caller's
     * slots (or is refused) while it looks again every {@code every} until it answers or its wait is over.
     */
    public <T> T poll(String caller, Clock clock, Duration wait, Duration every, Supplier<T> look, Predicate<T> answers)
            throws InterruptedException {
        Instant deadline = clock.instant().plus(wait);
        Predicate<T> done = seen -> answers.test(seen) || !clock.instant().plus(every).isBefore(deadline);
        T seen = look.get();
        if (done.test(seen)) {
            return seen;
        }
        Optional<PollSlots.Slot> slot = take(caller, clock.instant(), deadline.plus(MARGIN));
        try {
            do {
                Thread.sleep(every.toMillis());
                seen = look.get();
            } while (!done.test(seen));
            return seen;
        } finally {
            if (slot.isPresent()) {
                slots.giveBack(slot.get());
            }
        }
    }

    /** One of the caller's slots; refused when it holds them all; none taken when the cap is off or the slots fail. */
    private Optional<PollSlots.Slot> take(String caller, Instant now, Instant until) {
        if (perCaller == 0) {
            return Optional.empty();
        }
        Optional<PollSlots.Slot> slot;
        try {
            slot = slots.take(caller, perCaller, now, until);
        } catch (RuntimeException unavailable) {
            // The cap guards capacity; it must not turn a poll into an error: this one waits uncounted.
            LOG.warning(() -> "long-poll slots unavailable, the poll of " + caller + " waits uncounted: " + unavailable);
            return Optional.empty();
        }
        if (slot.isEmpty()) {
            throw RefusedException.limitReached("TooManyLongPolls", "this caller already holds " + perCaller
                    + " long polls (requests with waitSeconds); poll again once one has answered, or without waitSeconds",
                    RETRY_AFTER_SECONDS);
        }
        return slot;
    }
}
