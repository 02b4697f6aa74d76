package dev.runlane.domain;

import java.time.Instant;
import java.util.Optional;

/**
 * The slots that bound how many long polls one caller holds at once. A slot is held until its poll gives it
 * back, or lapses at the time it was taken for, so that a poll whose function died frees its slot by itself.
 */
public interface PollSlots {

    /** One held slot; {@code holder} tells this holder from a later one of the same slot. */
    record Slot(String caller, int slot, String holder) {
    }

    /** Takes one of the caller's {@code limit} slots until {@code until}, or empty when all of them are held at {@code now}. */
    Optional<Slot> take(String caller, int limit, Instant now, Instant until);

    /** Gives a slot back; nothing happens if it has lapsed and been taken again. */
    void giveBack(Slot slot);
}
