package dev.runlane.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GoalTest {
    private static Stats handoff(double p50, double p99) {
        return new Stats(10, p50, p99, p99, p99, p50);
    }

    @Test
    void eachBoundIsMetOrMissedByHowMuch() {
        assertEquals("handoff p50 ≤ 150 ms ✗ (by 43 ms), p99 ≤ 400 ms ✓", Goal.ONE_THREAD.judge(handoff(193, 214), 1.5, 1_560_000_000L));
        assertEquals("≥ 4 runs/s ✗ (by 1.58 runs/s), handoff p50 ≤ 2000 ms ✓, ≤ 3 GB ✗ (by 2.15 GB)",
                Goal.LOAD.judge(handoff(1_700, 5_900), 2.42, 5_150_000_000L));
        assertEquals("handoff p50 ≤ 400 ms ✓, p99 ≤ 1500 ms ✓", Goal.MANY_THREADS.judge(handoff(300, 1_200), 3.0, 1));
    }

    @Test
    void aScenarioWithoutAGoalSaysSo() {
        assertEquals("–", Goal.NONE.judge(handoff(1, 2), 1, 1));
        assertEquals(Goal.NONE, new Scenario("s", "hosted", 1, 1, "hosted", Scenario.ECHO).goal());
        assertEquals(Goal.ONE_THREAD, Scenario.set(true).getFirst().goal(), "the quick set's one-thread has the full set's goal");
    }
}
