package dev.runlane.daemon;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PollingTest {
    private static final Instant ACTIVE_UNTIL = Instant.parse("2026-12-07T10:01:00Z");
    private static final Duration RECENT = Duration.ofMinutes(4);

    @Test
    void activeThenEverySecondThenEveryIdleInterval() {
        assertEquals(Polling.ACTIVE, at("10:00:59", 5));
        assertEquals(Polling.RECENTLY_ACTIVE, at("10:01:00", 5));
        assertEquals(Polling.RECENTLY_ACTIVE, at("10:04:59", 5));
        assertEquals(Polling.IDLE, at("10:05:00", 5));
    }

    @Test
    void idlePollZeroAlwaysLongPollsAndOneSecondHasNoRecentMode() {
        assertEquals(Polling.ACTIVE, at("11:00:00", 0));
        assertEquals(Polling.IDLE, at("10:02:00", 1));
    }

    @Test
    void waitsAndPauses() {
        assertEquals(20, Polling.ACTIVE.waitSeconds(20));
        assertEquals(0, Polling.RECENTLY_ACTIVE.waitSeconds(20));
        assertEquals(0, Polling.IDLE.waitSeconds(20));
        assertEquals(Duration.ZERO, Polling.ACTIVE.pause(5));
        assertEquals(Duration.ofSeconds(1), Polling.RECENTLY_ACTIVE.pause(5));
        assertEquals(Duration.ofSeconds(5), Polling.IDLE.pause(5));
    }

    @Test
    void theLogLinesSayWhatChanged() {
        Duration active = Duration.ofSeconds(60);
        assertEquals("polling: no frame or command for 60s: a poll every 1s without waiting, for 240s",
                Polling.RECENTLY_ACTIVE.change(active, RECENT, 20, 5));
        assertEquals("polling: idle (no frame or command for 300s): a poll every 5s without waiting",
                Polling.IDLE.change(active, RECENT, 20, 5));
        assertEquals("polling: active (a frame or a command): long polls of 20s", Polling.ACTIVE.change(active, RECENT, 20, 5));
    }

    private static Polling at(String time, int idlePollSeconds) {
        return Polling.at(Instant.parse("2026-12-07T" + time + "Z"), ACTIVE_UNTIL, RECENT, idlePollSeconds);
    }
}
