package dev.runlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScenarioResultTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    private static RunRecord run(String thread, int index, String target, int attempts, long created, long started, long finished) {
        RunRecord run = new RunRecord(thread, index, target);
        run.status = "SUCCEEDED";
        run.attempts = attempts;
        run.createdAt = T0.plusMillis(created);
        run.executionStartedAt = T0.plusMillis(started - 20);
        run.startedAt = T0.plusMillis(started);
        run.agentEndedAt = T0.plusMillis(finished - 10);
        run.finishedAt = T0.plusMillis(finished);
        run.transitions = attempts == 1 ? 3 : 4;
        return run;
    }

    private static ScenarioResult of(List<RunRecord> runs) throws Exception {
        return ScenarioResult.of(new Scenario("s", "hosted", 2, 2, "hosted", Scenario.ECHO), 2.0, runs,
                new Usage(runs.size(), 0, Map.of(), Map.of(), 0, 0), 0, Bill.load(Path.of("prices.json"), true));
    }

    @Test
    void aHandoffIsFromTheRunBeforesEndToTheNextAttemptsStartForRunsThatWaited() throws Exception {
        ScenarioResult result = of(List.of(
                run("a", 1, "hosted", 1, 0, 500, 900),      // waited behind a/0, which ended at 400 ms
                run("a", 0, "hosted", 1, 0, 100, 400),
                run("b", 0, "hosted", 2, 0, 100, 300),
                run("b", 1, "hosted", 1, 1000, 1200, 1300))); // created after b/0 ended: no handoff
        assertEquals(1, result.handoff().count());
        assertEquals(100, result.handoff().p50(), "a/0 ended at 400 ms, a/1's attempt started at 500 ms");
        assertEquals(Map.of(1, 3L, 2, 1L), result.attempts());
        assertEquals(2.0, result.throughput());
    }

    @Test
    void aRunIsReadyWhenItsPredecessorEndsNotWhenItWasCreated() throws Exception {
        ScenarioResult result = of(List.of(run("a", 0, "hosted", 1, 0, 100, 400), run("a", 1, "hosted", 1, 0, 500, 900)));
        // ready → execution start: a/0 from its creation (80 ms), a/1 from a/0's end (480 - 400 = 80 ms)
        assertEquals(80, result.breakdown().get(ScenarioResult.SEGMENTS.get(0)).max());
        assertEquals(10, result.breakdown().get(ScenarioResult.SEGMENTS.get(3)).p50());
    }

    @Test
    void transitionsPerRunAreAveragedByKind() throws Exception {
        ScenarioResult result = of(List.of(run("a", 0, "hosted", 1, 0, 100, 400), run("b", 0, "hosted", 2, 0, 100, 400),
                run("c", 0, "desktop", 1, 0, 100, 400)));
        assertEquals(Map.of("hosted single attempt", 3L, "hosted retried", 4L, "desktop", 3L), result.transitionsByKind());
    }
}
