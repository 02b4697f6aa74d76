package dev.runlane.runs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunIdsTest {

    @ParameterizedTest
    @ValueSource(strings = {"t1", "thread_42", "A-b-C", "0", "x123456789012345678901234567890123456789012345678901234567890123"})
    void acceptsPlainIds(String id) {
        assertTrue(RunIds.isValid(id));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "../etc", "a/b", "a b", "-leading", "_leading", "a.b", "thread\n1", "t\u0000",
            "ünïcode", "x1234567890123456789012345678901234567890123456789012345678901234", "a;rm -rf", "%2e%2e"})
    void refusesHostileIds(String id) {
        assertFalse(RunIds.isValid(id));
    }

    @Test
    void newRunIdsAreValidUniqueAndSortByCreationTime() {
        String earlier = RunIds.newRunId(Instant.parse("2026-11-28T17:10:00.000Z"));
        String later = RunIds.newRunId(Instant.parse("2026-11-28T17:10:00.001Z"));
        assertTrue(RunIds.isValid(earlier));
        assertEquals(30, earlier.length());
        assertTrue(earlier.compareTo(later) < 0);
        assertNotEquals(RunIds.newRunId(Instant.EPOCH), RunIds.newRunId(Instant.EPOCH));
    }

    @Test
    void anIdempotencyKeyNamesOneRunPerThread() {
        String id = RunIds.forIdempotencyKey("t1", "key-1");
        assertTrue(RunIds.isValid(id));
        assertEquals(id, RunIds.forIdempotencyKey("t1", "key-1"));
        assertNotEquals(id, RunIds.forIdempotencyKey("t2", "key-1"));
        assertNotEquals(id, RunIds.forIdempotencyKey("t1", "key-2"));
    }
}
