package dev.runlane.aws;

import dev.runlane.domain.Frame;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.StaleAttemptException;
import dev.runlane.domain.Target;
import dev.runlane.testing.LocalAws;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The fence protocol on real DynamoDB (moto). */
class FenceIntegrationTest {
    private static final Instant NOW = Instant.parse("2026-11-28T17:10:00.123Z");

    private final LocalAws aws = LocalAws.get();
    private final DynamoFence fence = new DynamoFence(aws.dynamo, aws.settings);
    private final DynamoRunStore runs = new DynamoRunStore(aws.dynamo, aws.settings);
    private final String thread = "fence-" + UUID.randomUUID();

    @Test
    void concurrentAcquirersGetUniqueIncreasingTokensAndOnlyTheNewestCanWrite() throws Exception {
        String runId = queuedRun();
        int acquirers = 20;
        List<Long> tokens = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Long>> calls = new ArrayList<>();
            for (int i = 0; i < acquirers; i++) {
                calls.add(() -> fence.acquire(thread, runId));
            }
            for (Future<Long> token : pool.invokeAll(calls)) {
                tokens.add(token.get());
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(acquirers, tokens.stream().distinct().count(), "tokens are unique: " + tokens);
        long newest = tokens.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertEquals(acquirers, newest, "tokens count up from 1 on a new thread");

        for (long token : tokens) {
            RunEvent event = new RunEvent(runId, 1, token, NOW, "progress", "{}");
            if (token == newest) {
                fence.append(thread, event);
            } else {
                assertThrows(StaleAttemptException.class, () -> fence.append(thread, event), "token " + token);
            }
        }
        assertEquals(1, runs.events(runId, 100, null).items().size());
    }

    @Test
    void anAttemptBeginsOnlyWithTheNewestTokenAndCountsAttempts() {
        String runId = queuedRun();
        long first = fence.acquire(thread, runId);
        assertEquals(1, fence.beginAttempt(thread, runId, first, NOW));
        long second = fence.acquire(thread, runId);
        assertThrows(StaleAttemptException.class, () -> fence.beginAttempt(thread, runId, first, NOW));
        assertEquals(2, fence.beginAttempt(thread, runId, second, NOW.plusSeconds(5)));

        Run run = runs.find(runId).orElseThrow();
        assertEquals(RunStatus.RUNNING, run.status());
        assertEquals(second, run.fenceToken());
        assertEquals(NOW, run.startedAt(), "startedAt is when the first attempt began");
    }

    @Test
    void anEndedRunTakesNoNewAttempt() {
        String runId = queuedRun();
        runs.finish(runId, RunStatus.CANCELLED, null, null, NOW);
        long token = fence.acquire(thread, runId);
        assertThrows(StaleAttemptException.class, () -> fence.beginAttempt(thread, runId, token, NOW));
    }

    @Test
    void fencingOutARunNeverTouchesALaterRunOfItsThread() {
        String earlier = queuedRun();
        String later = queuedRun();
        long earlierToken = fence.acquire(thread, earlier);
        fence.fenceOut(thread, earlier);
        assertThrows(StaleAttemptException.class,
                () -> fence.append(thread, new RunEvent(earlier, 1, earlierToken, NOW, "progress", "{}")),
                "a fenced-out run's attempt cannot write");

        long laterToken = fence.acquire(thread, later);
        fence.fenceOut(thread, earlier); // e.g. a late reaper event for the earlier run
        fence.sendStart(thread, Frame.start("d1", later, thread, laterToken, "{}", NOW), "task-token");
        fence.append(thread, new RunEvent(later, 1, laterToken, NOW, "progress", "{}"));
        assertEquals(1, runs.events(later, 10, null).items().size());
    }

    private String queuedRun() {
        String runId = "run-" + UUID.randomUUID();
        runs.create(Run.queued(runId, thread, Target.HOSTED, null, "{}", "hash", NOW));
        return runId;
    }
}
