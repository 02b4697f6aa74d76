package dev.runlane.aws;

import dev.runlane.domain.PollSlots;
import dev.runlane.testing.LocalAws;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Long-poll slots on real DynamoDB (moto): a caller never holds more than its limit, even when its polls race. */
class PollSlotsIT {
    private static final Instant NOW = Instant.parse("2026-12-08T03:00:00Z");

    private final DynamoPollSlots slots = new DynamoPollSlots(LocalAws.get().dynamo, LocalAws.get().settings);
    private final String caller = "iam:arn:aws:iam::123456789012:user/poller-" + UUID.randomUUID();

    @Test
    void twentyRacingPollsOfOneCallerTakeExactlyItsThreeSlotsAndAnotherCallerIsNotCounted() throws Exception {
        List<Callable<Optional<PollSlots.Slot>>> polls = java.util.stream.IntStream.range(0, 20)
                .<Callable<Optional<PollSlots.Slot>>>mapToObj(i -> () -> slots.take(caller, 3, NOW, NOW.plusSeconds(25))).toList();
        Set<Integer> held = new HashSet<>();
        int refused = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(20)) {
            for (Future<Optional<PollSlots.Slot>> poll : pool.invokeAll(polls)) {
                Optional<PollSlots.Slot> slot = poll.get();
                if (slot.isPresent()) {
                    assertTrue(held.add(slot.get().slot()), "slot " + slot.get().slot() + " given twice");
                } else {
                    refused++;
                }
            }
        }
        assertEquals(Set.of(0, 1, 2), held);
        assertEquals(17, refused);
        assertTrue(slots.take(caller + "-other", 3, NOW, NOW.plusSeconds(25)).isPresent(), "another caller has its own slots");
    }

    @Test
    void aSlotGivenBackIsTakenAgainAndOneWhosePollDiedLapsesAtItsDeadline() {
        PollSlots.Slot first = slots.take(caller, 1, NOW, NOW.plusSeconds(25)).orElseThrow();
        assertTrue(slots.take(caller, 1, NOW.plusSeconds(1), NOW.plusSeconds(26)).isEmpty(), "held");
        slots.giveBack(first);
        PollSlots.Slot second = slots.take(caller, 1, NOW.plusSeconds(2), NOW.plusSeconds(27)).orElseThrow();

        // second's poll dies without giving it back: the slot is free once its deadline has passed, not before
        assertTrue(slots.take(caller, 1, NOW.plusSeconds(26), NOW.plusSeconds(50)).isEmpty(), "held until its deadline");
        PollSlots.Slot third = slots.take(caller, 1, NOW.plusSeconds(28), NOW.plusSeconds(53)).orElseThrow();
        // the dead poll's late give-back must not free the slot its successor holds
        slots.giveBack(second);
        assertTrue(slots.take(caller, 1, NOW.plusSeconds(29), NOW.plusSeconds(54)).isEmpty(), "still held by " + third.holder());
    }
}
