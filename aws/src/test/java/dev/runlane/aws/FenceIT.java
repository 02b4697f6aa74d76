package dev.runlane.aws;

import dev.runlane.domain.Frame;
import dev.runlane.domain.OutputRecordedException;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunError;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fence protocol (v2: attempts ordered by Step Functions) on real DynamoDB (moto). */
class FenceIT {
    private static final Instant NOW = Instant.parse("2026-11-28T17:10:00.123Z");

    private final LocalAws aws = LocalAws.get();
    private final DynamoFence fence = new DynamoFence(aws.dynamo, aws.settings);
    private final DynamoRunStore runs = new DynamoRunStore(aws.dynamo, aws.settings);
    private final String thread = "fence-" + UUID.randomUUID();

    @Test
    void aLateZombieOfAnEarlierAttemptIsRefusedAndTheLiveRetryKeepsWriting() {
        String runId = queuedRun();
        long retry = fence.acquire(thread, runId, 2, NOW); // attempt 1's Lambda has not started yet
        StaleAttemptException refused = assertThrows(StaleAttemptException.class,
                () -> fence.acquire(thread, runId, 1, NOW.plusSeconds(10)));
        assertTrue(refused.getMessage().contains("attempt 2"), refused.getMessage());

        fence.append(thread, new RunEvent(runId, 2, retry, NOW, "progress", "{}"));
        fence.recordOutput(thread, runId, retry, "{\"ok\":true}");
        Run run = runs.find(runId).orElseThrow();
        assertEquals(retry, run.fenceToken(), "the zombie took no token");
        assertEquals(2, run.attempts(), "attempts is Step Functions' attempt number");
        assertEquals("{\"ok\":true}", runs.payloads(runId).output());
    }

    @Test
    void anAttemptRecordsOneOutputAndANewerAttemptReplacesIt() {
        String runId = queuedRun();
        long first = fence.acquire(thread, runId, 1, NOW);
        fence.recordOutput(thread, runId, first, "{\"attempt\":1}");
        fence.recordOutput(thread, runId, first, "{\"attempt\":1}"); // the same write again (a retried request)
        assertThrows(OutputRecordedException.class, () -> fence.recordOutput(thread, runId, first, "{\"again\":1}"));
        assertEquals("{\"attempt\":1}", runs.payloads(runId).output());

        long second = fence.acquire(thread, runId, 2, NOW.plusSeconds(5));
        fence.recordOutput(thread, runId, second, "{\"attempt\":2}");
        assertEquals("{\"attempt\":2}", runs.payloads(runId).output(), "a newer attempt's output replaces an older one's");
        assertThrows(StaleAttemptException.class, () -> fence.recordOutput(thread, runId, first, "{\"attempt\":1}"));
    }

    @Test
    void aLaterAttemptFencesOutAnEarlierOneThatStartedFirst() {
        String runId = queuedRun();
        long first = fence.acquire(thread, runId, 1, NOW);
        long second = fence.acquire(thread, runId, 2, NOW.plusSeconds(5));
        assertTrue(second > first);
        assertThrows(StaleAttemptException.class, () -> fence.recordOutput(thread, runId, first, "{\"late\":1}"));
        assertThrows(StaleAttemptException.class,
                () -> fence.append(thread, new RunEvent(runId, 1, first, NOW, "progress", "{}")));
        assertThrows(StaleAttemptException.class, () -> fence.acquire(thread, runId, 2, NOW), "an attempt acquires once");
        assertNull(runs.payloads(runId).output(), "the fenced-out attempt stored nothing");

        Run run = runs.find(runId).orElseThrow();
        assertEquals(RunStatus.RUNNING, run.status());
        assertEquals(second, run.fenceToken());
        assertEquals(NOW, run.startedAt(), "startedAt is when the first attempt began");
    }

    @Test
    void concurrentAttemptsOfOneRunEndWithTheHighestAttemptHoldingTheNewestToken() throws Exception {
        String runId = queuedRun();
        int attempts = 12;
        List<Long> tokens = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<Long>> calls = new ArrayList<>();
            for (int attempt = 1; attempt <= attempts; attempt++) {
                int a = attempt;
                calls.add(() -> {
                    try {
                        return fence.acquire(thread, runId, a, NOW);
                    } catch (StaleAttemptException refused) {
                        return -1L;
                    }
                });
            }
            for (Future<Long> token : pool.invokeAll(calls)) {
                tokens.add(token.get());
            }
        } finally {
            pool.shutdown();
        }
        List<Long> taken = tokens.stream().filter(t -> t > 0).toList();
        assertEquals(taken.size(), taken.stream().distinct().count(), "tokens are unique: " + tokens);
        assertTrue(tokens.get(attempts - 1) > 0, "the last attempt is never refused: " + tokens);
        Run run = runs.find(runId).orElseThrow();
        assertEquals(attempts, run.attempts(), tokens.toString());
        assertEquals(tokens.get(attempts - 1), run.fenceToken());
        for (long token : taken) {
            RunEvent event = new RunEvent(runId, 1, token, NOW, "progress", "{}");
            if (token == run.fenceToken()) {
                fence.append(thread, event);
            } else {
                assertThrows(StaleAttemptException.class, () -> fence.append(thread, event), "token " + token);
            }
        }
        assertEquals(1, runs.events(runId, 100, null).items().size());
    }

    @Test
    void anEndedRunTakesNoTokenAsARedriveWouldTry() {
        String earlier = queuedRun();
        long earlierToken = fence.acquire(thread, earlier, 1, NOW);
        assertTrue(fence.end(thread, earlier, RunStatus.SUCCEEDED, null, NOW, false));
        String current = queuedRun();
        long currentToken = fence.acquire(thread, current, 1, NOW);

        assertThrows(StaleAttemptException.class, () -> fence.acquire(thread, earlier, 1, NOW), "a redriven execution");
        assertThrows(StaleAttemptException.class, () -> fence.acquire(thread, earlier, 3, NOW), "a later attempt of it");
        fence.append(thread, new RunEvent(current, 1, currentToken, NOW, "progress", "{}"));
        assertEquals(currentToken, runs.find(current).orElseThrow().fenceToken(), "the current run keeps its token");
        assertEquals(earlierToken, runs.find(earlier).orElseThrow().fenceToken());
    }

    @Test
    void aCancelledQueuedRunNeverBegins() {
        String runId = queuedRun();
        assertTrue(fence.end(thread, runId, RunStatus.CANCELLED, new RunError("Cancelled", "by request"), NOW, false));
        assertThrows(StaleAttemptException.class, () -> fence.acquire(thread, runId, 1, NOW));
        assertEquals(RunStatus.CANCELLED, runs.find(runId).orElseThrow().status());
    }

    @Test
    void endingARunFencesItOutInTheSameWriteAndNeverTouchesALaterRunOfItsThread() {
        String earlier = queuedRun();
        String later = queuedRun();
        long earlierToken = fence.acquire(thread, earlier, 1, NOW);
        assertTrue(fence.end(thread, earlier, RunStatus.CANCELLED, new RunError("Cancelled", "by request"), NOW, false));
        assertThrows(StaleAttemptException.class,
                () -> fence.append(thread, new RunEvent(earlier, 1, earlierToken, NOW, "progress", "{}")),
                "an ended run's attempt cannot write: no write lands between its end and its fence-out");
        assertThrows(StaleAttemptException.class, () -> fence.acquire(thread, earlier, 2, NOW),
                "nor can a later attempt of it take a token");

        long laterToken = fence.acquire(thread, later, 1, NOW);
        assertFalse(fence.end(thread, earlier, RunStatus.CANCELLED, null, NOW, false),
                "a repeated end (e.g. a late reaper event for the earlier run) writes nothing");
        fence.sendStart(thread, Frame.start("d1", later, thread, laterToken, "{}", 60, NOW), "task-token");
        fence.append(thread, new RunEvent(later, 1, laterToken, NOW, "progress", "{}"));
        assertEquals(1, runs.events(later, 10, null).items().size());
    }

    @Test
    void theEpochIsCreatedOnceAndReadByEveryAdapter() {
        String epoch = fence.epoch();
        assertEquals(32, epoch.length());
        assertEquals(epoch, new DynamoFence(aws.dynamo, aws.settings).epoch(), "another sandbox reads the same epoch");
    }

    private String queuedRun() {
        String runId = "run-" + UUID.randomUUID();
        runs.create(Run.queued(runId, thread, Target.HOSTED, null, "hash", NOW), 1000).orElseThrow();
        return runId;
    }
}
