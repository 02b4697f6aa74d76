package dev.runlane.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a scenario should achieve (the project's targets); a null bound is not set. The report's goal column
 * says each bound with ✓ or ✗ and, when missed, by how much.
 */
record Goal(Double handoffP50Ms, Double handoffP99Ms, Double minRunsPerSecond, Double maxPeakGb) {

    static final Goal NONE = new Goal(null, null, null, null);
    /** One thread's runs one after another: the handoff is the whole cost of the queue. */
    static final Goal ONE_THREAD = new Goal(150.0, 400.0, null, null);
    static final Goal MANY_THREADS = new Goal(400.0, 1_500.0, null, null);
    static final Goal LOAD = new Goal(2_000.0, null, 4.0, 3.0);

    /** Each bound, met or not: e.g. "handoff p50 ≤ 150 ms ✗ (by 43 ms), p99 ≤ 400 ms ✓"; "–" without bounds. */
    String judge(Stats handoff, double runsPerSecond, long peakMemoryBytes) {
        List<String> parts = new ArrayList<>();
        if (minRunsPerSecond != null) {
            parts.add(String.format(Locale.ROOT, "≥ %.0f runs/s %s", minRunsPerSecond,
                    mark(runsPerSecond >= minRunsPerSecond, String.format(Locale.ROOT, "%.2f runs/s", minRunsPerSecond - runsPerSecond))));
        }
        if (handoffP50Ms != null) {
            parts.add("handoff p50 ≤ " + Report.ms(handoffP50Ms) + " "
                    + mark(handoff.p50() <= handoffP50Ms, Report.ms(handoff.p50() - handoffP50Ms)));
        }
        if (handoffP99Ms != null) {
            parts.add((handoffP50Ms == null ? "handoff " : "") + "p99 ≤ " + Report.ms(handoffP99Ms) + " "
                    + mark(handoff.p99() <= handoffP99Ms, Report.ms(handoff.p99() - handoffP99Ms)));
        }
        if (maxPeakGb != null) {
            double gb = peakMemoryBytes / 1e9;
            parts.add(String.format(Locale.ROOT, "≤ %.0f GB %s", maxPeakGb,
                    mark(gb <= maxPeakGb, String.format(Locale.ROOT, "%.2f GB", gb - maxPeakGb))));
        }
        return parts.isEmpty() ? "–" : String.join(", ", parts);
    }

    private static String mark(boolean met, String by) {
        return met ? "✓" : "✗ (by " + by + ")";
    }
}
