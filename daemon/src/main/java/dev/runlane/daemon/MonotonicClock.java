package dev.runlane.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Nanoseconds on a clock that never goes back (wall-clock changes do not move it) and that counts the time the
 * machine was suspended: a run's heartbeat window on the server runs on while a laptop sleeps. Linux's boot-time
 * clock ({@code /proc/uptime}, 10 ms steps) where it can be read, else {@link System#nanoTime()}, which counts a
 * stopped process (SIGSTOP) but, on some systems, not a suspend. Compare values by difference only.
 */
final class MonotonicClock {

    private static final Path UPTIME = Path.of("/proc/uptime");
    private static final boolean BOOT_TIME = read() >= 0;

    private MonotonicClock() {
    }

    static long nanos() {
        if (BOOT_TIME) {
            long boot = read();
            if (boot >= 0) {
                return boot;
            }
        }
        return System.nanoTime();
    }

    /** The first field of /proc/uptime ("12345.67 ...") in nanoseconds; -1 when it cannot be read. */
    private static long read() {
        try {
            String text = Files.readString(UPTIME);
            int space = text.indexOf(' ');
            String[] seconds = (space < 0 ? text.strip() : text.substring(0, space)).split("\\.");
            long nanos = Long.parseLong(seconds[0]) * 1_000_000_000L;
            if (seconds.length > 1) {
                String fraction = (seconds[1] + "000000000").substring(0, 9);
                nanos += Long.parseLong(fraction);
            }
            return nanos;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
