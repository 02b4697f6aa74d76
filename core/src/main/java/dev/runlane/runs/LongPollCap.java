package dev.runlane.runs;

import dev.runlane.domain.PollSlots;
import dev.runlane.domain.RefusedException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * At most {@code perCaller} long polls held at once by one caller (an IAM principal, a daemon). A poll that is
 * about to wait takes one of its caller's slots until it answers; the one that would be one too many is refused
 * at once, 429 {@code TooManyLongPolls} with Retry-After, instead of holding a function for its whole wait. A
 * flood of polls then costs the API a refusal each, never its capacity for starts and reads. A slot whose poll
 * died lapses shortly after the poll's deadline. A cap of 0 takes no slots.
 */
public final class LongPollCap {
    /** How long a slot outlives its poll's deadline: the time to write the answer. */
    static final Duration MARGIN = Duration.ofSeconds(5);
    /** What a refused poll is told to wait: about the time a held poll gives its slot back when events flow. */
    static final int RETRY_AFTER_SECONDS = 2;

    /** No cap: every poll waits. */
    public static final LongPollCap NONE = new LongPollCap(null, 0, Clock.systemUTC());

    private final PollSlots slots;
    private final int perCaller;
    private final Clock clock;

    public LongPollCap(PollSlots slots, int perCaller, Clock clock) {
        if (perCaller < 0) {
            throw new IllegalArgumentException("perCaller must be 0 (no cap) or more");
        }
        this.slots = slots;
        this.perCaller = perCaller;
        this.clock = clock;
    }

    /**
     * A long poll: looks at once, and if that does not answer, holds one of the caller's slots (or is refused)
     * while it looks again every {@code every} until it does.
     *
     * @param answers whether what was seen answers the poll; true once its deadline is (about to be) over
     */
    public <T> T poll(String caller, Instant deadline, Duration every, Supplier<T> look, Predicate<T> answers)
            throws InterruptedException {
        T seen = look.get();
        if (answers.test(seen)) {
            return seen;
        }
        PollSlots.Slot slot = perCaller == 0 ? null : slots.take(caller, perCaller, clock.instant(), deadline.plus(MARGIN))
                .orElseThrow(() -> RefusedException.limitReached("TooManyLongPolls", "this caller already holds "
                        + perCaller + " long polls (requests with waitSeconds); poll again once one has answered, or"
                        + " without waitSeconds", RETRY_AFTER_SECONDS));
        try {
            do {
                Thread.sleep(every.toMillis());
                seen = look.get();
            } while (!answers.test(seen));
            return seen;
        } finally {
            if (slot != null) {
                slots.giveBack(slot);
            }
        }
    }
}
