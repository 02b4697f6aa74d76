package dev.runlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void percentilesAreNearestRank() {
        Stats stats = Stats.of(IntStream.rangeClosed(1, 100).boxed().toList());
        assertEquals(50, stats.p50());
        assertEquals(90, stats.p90());
        assertEquals(99, stats.p99());
        assertEquals(100, stats.max());
        assertEquals(50.5, stats.mean());
    }

    @Test
    void aSmallSampleTakesItsLargestValueForTheTail() {
        Stats stats = Stats.of(List.of(300.0, 100.0, 200.0));
        assertEquals(200, stats.p50());
        assertEquals(300, stats.p99());
    }

    @Test
    void anEmptySampleHasNoFigures() {
        Stats stats = Stats.of(List.<Double>of());
        assertEquals(0, stats.count());
        assertTrue(Double.isNaN(stats.p50()));
        assertEquals("-", Report.ms(stats.p50()));
    }
}
