package dev.runlane.bench;

import java.util.List;

/**
 * One workload: {@code threads} threads, each with {@code runsPerThread} runs submitted at once, in
 * thread order. {@code kind} names the bill it prices (hosted, hosted-retried, desktop, mixed).
 * Target {@code mixed} alternates hosted runs (with {@code inputJson}) and desktop runs on each thread.
 * {@code goal}: what the scenario should achieve, judged in the report.
 */
public record Scenario(String name, String kind, int threads, int runsPerThread, String target, String inputJson, Goal goal) {

    Scenario(String name, String kind, int threads, int runsPerThread, String target, String inputJson) {
        this(name, kind, threads, runsPerThread, target, inputJson, Goal.NONE);
    }

    static final String ECHO = "{\"agent\":\"echo\",\"message\":\"bench\"}";
    static final String RUN_200MS = "{\"agent\":\"simulated\",\"durationMs\":200,\"progressMs\":1000}";
    static final String RETRIED_ONCE = "{\"agent\":\"simulated\",\"durationMs\":50,\"progressMs\":1000,\"failFirstAttempts\":1}";
    static final String DESKTOP = "{\"command\":\"bench\"}";

    int runs() {
        return threads * runsPerThread;
    }

    /**
     * The scenario set. {@code wide-50x5} has more threads than the local cloud has sandboxes (the
     * cores + 1 per function), so every sandbox stays busy and the queue deep.
     */
    static List<Scenario> set(boolean quick) {
        if (quick) {
            return List.of(
                    new Scenario("one-thread", "hosted", 1, 10, "hosted", ECHO, Goal.ONE_THREAD),
                    new Scenario("5x4", "hosted", 5, 4, "hosted", ECHO),
                    new Scenario("retried", "hosted-retried", 2, 2, "hosted", RETRIED_ONCE),
                    new Scenario("mixed", "mixed", 2, 4, "mixed", ECHO));
        }
        return List.of(
                new Scenario("one-thread", "hosted", 1, 50, "hosted", ECHO, Goal.ONE_THREAD),
                new Scenario("20x10", "hosted", 20, 10, "hosted", ECHO, Goal.MANY_THREADS),
                new Scenario("50x10-200ms", "hosted", 50, 10, "hosted", RUN_200MS, Goal.LOAD),
                new Scenario("wide-50x5", "hosted", 50, 5, "hosted", ECHO),
                new Scenario("retried", "hosted-retried", 5, 4, "hosted", RETRIED_ONCE),
                new Scenario("desktop", "desktop", 4, 5, "desktop", DESKTOP),
                new Scenario("mixed", "mixed", 4, 6, "mixed", ECHO));
    }
}
