package dev.runlane.runs;

import dev.runlane.domain.PollSlots;
import dev.runlane.domain.RefusedException;
import dev.runlane.testing.MovableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LongPollCapTest {
    private static final Instant NOW = Instant.parse("2026-12-08T03:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration EVERY = Duration.ofMillis(1);

    /** Records what the cap asks of its slots; {@code free} slots are given. */
    private static final class Slots implements PollSlots {
        int free;
        RuntimeException failing;
        final List<String> calls = new ArrayList<>();

        @Override
        public Optional<Slot> take(String caller, int limit, Instant now, Instant until) {
            calls.add("take " + caller + " of " + limit + " until " + until);
            if (failing != null) {
                throw failing;
            }
            return free-- > 0 ? Optional.of(new Slot(caller, 0, "h")) : Optional.empty();
        }

        @Override
        public void giveBack(Slot slot) {
            calls.add("give back " + slot.caller());
        }
    }

    private final Slots slots = new Slots();
    private final LongPollCap cap = new LongPollCap(slots, 3);
    private final MovableClock clock = new MovableClock(NOW);
    private final AtomicInteger looks = new AtomicInteger();

    @Test
    void aPollAnsweredAtOnceTakesNoSlot() throws Exception {
        assertEquals(1, cap.poll("ip:1", clock, WAIT, EVERY, looks::incrementAndGet, seen -> true));
        assertEquals(List.of(), slots.calls);
    }

    @Test
    void aPollThatWaitsHoldsASlotUntilItsDeadlineAndAMarginAndGivesItBackEvenWhenItFails() throws Exception {
        slots.free = 2;
        assertEquals(3, cap.poll("ip:1", clock, WAIT, EVERY, looks::incrementAndGet, seen -> seen == 3));
        assertThrows(IllegalStateException.class, () -> cap.poll("ip:1", clock, WAIT, EVERY, () -> {
            if (looks.incrementAndGet() > 4) {
                throw new IllegalStateException("a read failed during the wait");
            }
            return 0;
        }, seen -> false));
        assertEquals(List.of("take ip:1 of 3 until 2026-12-08T03:00:25Z", "give back ip:1",
                "take ip:1 of 3 until 2026-12-08T03:00:25Z", "give back ip:1"), slots.calls);
    }

    @Test
    void aPollEndsAtItsDeadlineWithWhatItLastSaw() throws Exception {
        slots.free = 1;
        int seen = cap.poll("ip:1", clock, WAIT, EVERY, () -> {
            clock.advance(Duration.ofSeconds(5));
            return looks.incrementAndGet();
        }, never -> false);
        assertEquals(4, seen, "looked at 5, 10, 15 and 20 s, then the wait was over");
        assertEquals(List.of("take ip:1 of 3 until 2026-12-08T03:00:25Z", "give back ip:1"), slots.calls);
    }

    @Test
    void theOneTooManyIsRefused429WithRetryAfterAndNeverWaits() {
        RefusedException refused = assertThrows(RefusedException.class,
                () -> cap.poll("ip:1", clock, WAIT, EVERY, looks::incrementAndGet, seen -> false));
        assertEquals("TooManyLongPolls", refused.code());
        assertEquals(RefusedException.Kind.LIMIT_REACHED, refused.kind());
        assertEquals(LongPollCap.RETRY_AFTER_SECONDS, refused.retryAfterSeconds());
        assertEquals(1, looks.get(), "it looked once, then was refused without waiting");
        assertEquals(1, slots.calls.size(), "nothing given back that was not taken: " + slots.calls);
    }

    @Test
    void slotsThatFailLetThePollWaitUncountedRatherThanFailIt() throws Exception {
        slots.failing = new IllegalStateException("DynamoDB throttled past its retries");
        assertEquals(2, cap.poll("ip:1", clock, WAIT, EVERY, looks::incrementAndGet, seen -> seen == 2));
        assertEquals(1, slots.calls.size(), slots.calls.toString());
    }

    @Test
    void aCapOfZeroTakesNoSlot() throws Exception {
        assertEquals(2, new LongPollCap(slots, 0).poll("ip:1", clock, WAIT, EVERY, looks::incrementAndGet, seen -> seen == 2));
        assertEquals(List.of(), slots.calls);
    }
}
