package dev.runlane.daemon;

import java.time.Duration;
import java.time.Instant;

/**
 * How the daemon polls its frames, by how long ago its last frame or running command was. A held long poll
 * bills the frames function for its whole wait, so only an active daemon long-polls; a poll that does not
 * wait costs about 33 ms of it. Just after activity a start is likely (a user's next run), so for a few
 * minutes the daemon polls every second; then every {@code --idle-poll-seconds}.
 */
enum Polling {
    /** A frame or a command within the active window: long polls, so a frame arrives at once. */
    ACTIVE,
    /** Quiet for the active window: a poll without waiting every {@link #RECENT_POLL}. */
    RECENTLY_ACTIVE,
    /** Quiet for the active window and the recent one after it: a poll without waiting every idle interval. */
    IDLE;

    /** How often a recently active daemon polls. */
    static final Duration RECENT_POLL = Duration.ofSeconds(1);

    /**
     * The mode at {@code now} for a daemon active until {@code activeUntil}, then recently active for
     * {@code recentWindow}. With {@code idlePollSeconds} 0 the daemon always long-polls; with 1 it has no recent mode.
     */
    static Polling at(Instant now, Instant activeUntil, Duration recentWindow, int idlePollSeconds) {
        if (idlePollSeconds == 0 || now.isBefore(activeUntil)) {
            return ACTIVE;
        }
        boolean recent = now.isBefore(activeUntil.plus(recentWindow));
        return recent && RECENT_POLL.compareTo(Duration.ofSeconds(idlePollSeconds)) < 0 ? RECENTLY_ACTIVE : IDLE;
    }

    /** How long a poll waits for a frame. */
    int waitSeconds(int pollWaitSeconds) {
        return this == ACTIVE ? pollWaitSeconds : 0;
    }

    /** The pause after a poll that found no frame. */
    Duration pause(int idlePollSeconds) {
        return switch (this) {
            case ACTIVE -> Duration.ZERO;
            case RECENTLY_ACTIVE -> RECENT_POLL;
            case IDLE -> Duration.ofSeconds(idlePollSeconds);
        };
    }

    /** The log line for a change to this mode. */
    String change(Duration activeWindow, Duration recentWindow, int pollWaitSeconds, int idlePollSeconds) {
        return switch (this) {
            case ACTIVE -> "polling: active (a frame or a command): long polls of " + pollWaitSeconds + "s";
            case RECENTLY_ACTIVE -> "polling: no frame or command for " + seconds(activeWindow) + ": a poll every "
                    + seconds(RECENT_POLL) + " without waiting, for " + seconds(recentWindow);
            case IDLE -> "polling: idle (no frame or command for " + seconds(activeWindow.plus(recentWindow))
                    + "): a poll every " + idlePollSeconds + "s without waiting";
        };
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() / 1000.0 + "s";
    }
}
