package dev.runlane.localcloud.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runlane.localcloud.template.Stack;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StageThrottleTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aBurstIsAdmittedThenTheRateAndNoMore() {
        StageThrottle throttle = new StageThrottle(new Stack.ApiThrottle(2, 5), 0);
        assertEquals(5, IntStream.range(0, 8).filter(i -> throttle.admit(0)).count(), "the burst");
        assertFalse(throttle.admit(SECOND / 4), "half a token refilled");
        assertTrue(throttle.admit(SECOND / 2), "one refilled");
        assertEquals(5, IntStream.range(0, 8).filter(i -> throttle.admit(60 * SECOND)).count(), "refilled to the burst, not past it");
    }
}
