package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/** A thread's runs on a timeline: what the thread-control scenarios check about execution intervals. */
final class RunTimeline {
    private RunTimeline() {}

    /** One line per run: id, status, error code, startedAt .. finishedAt. */
    static String describe(List<JsonNode> runs) {
        StringBuilder out = new StringBuilder();
        for (JsonNode run : runs) {
            out.append("\n  ").append(run.path("runId").asText()).append(' ').append(run.path("status").asText())
                    .append(' ').append(run.path("error").path("code").asText("-"))
                    .append(" attempts=").append(run.path("attempts").asInt())
                    .append(' ').append(run.path("startedAt").asText("-")).append(" .. ").append(run.path("finishedAt").asText("-"));
        }
        return out.toString();
    }

    /**
     * No two runs that started overlap: ordered by startedAt, each starts at or after the previous one
     * finished (every run given must be terminal).
     */
    static void assertNoOverlap(List<JsonNode> runs) {
        List<JsonNode> started = runs.stream().filter(r -> r.path("startedAt").isTextual())
                .sorted(Comparator.comparing((JsonNode r) -> Api.time(r, "startedAt"))).toList();
        for (int i = 1; i < started.size(); i++) {
            Instant previousFinished = Api.time(started.get(i - 1), "finishedAt");
            Instant begun = Api.time(started.get(i), "startedAt");
            assertFalse(previousFinished == null || begun.isBefore(previousFinished), "run "
                    + started.get(i).path("runId").asText() + " started at " + begun + " before run "
                    + started.get(i - 1).path("runId").asText() + " finished at " + previousFinished + ":" + describe(runs));
        }
    }
}
