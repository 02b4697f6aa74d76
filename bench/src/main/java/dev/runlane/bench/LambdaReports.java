package dev.runlane.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local cloud's REPORT lines (one per invocation, as Lambda writes them), collected per function:
 * invocations, billed milliseconds, memory, and the INIT and warm durations.
 */
final class LambdaReports extends Handler {
    private static final Pattern REPORT = Pattern.compile(
            "REPORT RequestId: \\S+ Function: (\\S+) Duration: ([0-9.]+) ms Billed Duration: (\\d+) ms Memory Size: (\\d+) MB"
                    + "(?: Init Duration: ([0-9.]+) ms)?");

    /** One function's invocations in a window. */
    static final class Function {
        int memoryMb;
        long invocations;
        long billedMs;
        final List<Double> initMs = new ArrayList<>();
        final List<Double> warmMs = new ArrayList<>();

        /** As billed here, cold starts included. */
        double gbSeconds() {
            return billedMs / 1000.0 * memoryMb / 1024.0;
        }

        /**
         * Every invocation at the warm invocations' mean duration: the steady state of a stack that
         * runs a million runs a month, where nearly every invocation finds a warm (or restored) sandbox.
         */
        double steadyGbSeconds() {
            if (warmMs.isEmpty()) {
                return gbSeconds();
            }
            double meanMs = warmMs.stream().mapToDouble(Double::doubleValue).map(Math::ceil).average().orElseThrow();
            return invocations * meanMs / 1000.0 * memoryMb / 1024.0;
        }
    }

    private Map<String, Function> window = new TreeMap<>();
    private final Map<String, Function> total = new TreeMap<>();

    @Override
    public void publish(LogRecord record) {
        String message = record.getMessage();
        if (message == null) {
            return;
        }
        Matcher m = REPORT.matcher(message);
        if (m.find()) {
            synchronized (this) {
                for (Map<String, Function> into : List.of(window, total)) {
                    Function f = into.computeIfAbsent(m.group(1), name -> new Function());
                    f.memoryMb = Integer.parseInt(m.group(4));
                    f.invocations++;
                    f.billedMs += Long.parseLong(m.group(3));
                    if (m.group(5) != null) {
                        f.initMs.add(Double.parseDouble(m.group(5))); // a cold start: its duration is not a warm one
                    } else {
                        f.warmMs.add(Double.parseDouble(m.group(2)));
                    }
                }
            }
        }
    }

    /** Everything reported since the start, by function name. */
    synchronized Map<String, Function> total() {
        return total;
    }

    /** Invocations reported in the current window by the function whose name ends so. */
    synchronized long invocationsSoFar(String nameSuffix) {
        return window.entrySet().stream().filter(e -> e.getKey().endsWith(nameSuffix)).mapToLong(e -> e.getValue().invocations).sum();
    }

    /** What was reported since the last call, by function name; starts a new window. */
    synchronized Map<String, Function> take() {
        Map<String, Function> taken = window;
        window = new TreeMap<>();
        return taken;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
