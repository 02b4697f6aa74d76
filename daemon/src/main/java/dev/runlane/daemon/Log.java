package dev.runlane.daemon;

import java.io.PrintStream;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * One line per event, to stderr: {@code 2026-11-28T17:10:00.123Z INFO run r1 thread t1 token 12: started ...}.
 * Control characters in messages (which may carry server-supplied values) are escaped, so an event is
 * always exactly one line.
 */
public final class Log {

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final PrintStream out;
    private final Clock clock;

    public Log(PrintStream out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    public static Log toStderr() {
        return new Log(System.err, Clock.systemUTC());
    }

    public void info(String message) {
        line("INFO", message);
    }

    public void warn(String message) {
        line("WARN", message);
    }

    public void error(String message) {
        line("ERROR", message);
    }

    private void line(String level, String message) {
        String text = TIME.format(clock.instant()) + " " + level + " " + oneLine(message);
        synchronized (out) {
            out.println(text);
            out.flush();
        }
    }

    /** Escapes control characters so that a value can never break or forge a log line. */
    static String oneLine(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
