package dev.runlane.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A scenario's figures, worked out from its runs' recorded times. The handoff is the time from run N
 * of a thread becoming terminal to run N+1 of that thread starting its attempt, for every N+1 that was
 * already waiting. Where a run's time goes is measured from the moment it could start (created, or
 * its predecessor's end) through its execution's start, its attempt's start, the agent's end, to
 * terminal.
 */
record ScenarioResult(Scenario scenario, double wallSeconds, List<RunRecord> runs, List<Double> handoffs, Stats handoff, Stats api,
                      Map<String, Stats> breakdown, Map<Integer, Long> attempts, Map<String, Long> statuses,
                      Map<String, Long> transitionsByKind, Usage usage, long peakMemoryBytes, Map<String, Double> bill) {

    static final List<String> SEGMENTS = List.of("ready → execution start", "execution start → attempt start",
            "attempt start → agent end", "agent end → terminal", "terminal → next attempt start (handoff)");

    static ScenarioResult of(Scenario scenario, double wallSeconds, List<RunRecord> runs, Usage usage, long peakMemory, Bill bill) {
        List<Double> handoffs = new ArrayList<>();
        Map<String, List<Double>> segments = new LinkedHashMap<>();
        SEGMENTS.forEach(s -> segments.put(s, new ArrayList<>()));
        Map<String, List<RunRecord>> byThread = runs.stream().collect(Collectors.groupingBy(r -> r.threadId, TreeMap::new, Collectors.toList()));
        for (List<RunRecord> thread : byThread.values()) {
            thread.sort(Comparator.comparingInt(r -> r.index));
            for (int i = 0; i < thread.size(); i++) {
                RunRecord run = thread.get(i);
                RunRecord before = i == 0 ? null : thread.get(i - 1);
                var ready = before == null || before.finishedAt == null || run.createdAt.isAfter(before.finishedAt)
                        ? run.createdAt : before.finishedAt;
                add(segments.get(SEGMENTS.get(0)), RunRecord.millis(ready, run.executionStartedAt));
                add(segments.get(SEGMENTS.get(1)), RunRecord.millis(run.executionStartedAt, run.startedAt));
                add(segments.get(SEGMENTS.get(2)), RunRecord.millis(run.startedAt, run.agentEndedAt));
                add(segments.get(SEGMENTS.get(3)), RunRecord.millis(run.agentEndedAt, run.finishedAt));
                if (before != null && before.finishedAt != null && run.createdAt.isBefore(before.finishedAt)) {
                    double handoff = RunRecord.millis(before.finishedAt, run.startedAt);
                    add(handoffs, handoff);
                    add(segments.get(SEGMENTS.get(4)), handoff);
                }
            }
        }
        Map<String, Stats> breakdown = new LinkedHashMap<>();
        segments.forEach((name, values) -> breakdown.put(name, Stats.of(values)));
        Map<Integer, Long> attempts = runs.stream().collect(Collectors.groupingBy(r -> r.attempts, TreeMap::new, Collectors.counting()));
        Map<String, Long> statuses = runs.stream().collect(Collectors.groupingBy(r -> r.status, TreeMap::new, Collectors.counting()));
        Map<String, Long> transitions = runs.stream().collect(Collectors.groupingBy(ScenarioResult::kind, TreeMap::new,
                Collectors.summingLong(r -> r.transitions)));
        Map<String, Long> perKind = runs.stream().collect(Collectors.groupingBy(ScenarioResult::kind, Collectors.counting()));
        transitions.replaceAll((kind, total) -> Math.round((double) total / perKind.get(kind)));
        return new ScenarioResult(scenario, wallSeconds, runs, List.copyOf(handoffs), Stats.of(handoffs), Stats.of(runs.stream().map(r -> r.apiMs).toList()),
                breakdown, attempts, statuses, transitions, usage, peakMemory, bill.perMillionRuns(usage));
    }

    /** The run kinds the bill separates. */
    static String kind(RunRecord run) {
        return run.target.equals("desktop") ? "desktop" : run.attempts <= 1 ? "hosted single attempt" : "hosted retried";
    }

    private static void add(List<Double> values, double value) {
        if (!Double.isNaN(value)) {
            values.add(value);
        }
    }

    double throughput() {
        return runs.size() / wallSeconds;
    }
}
