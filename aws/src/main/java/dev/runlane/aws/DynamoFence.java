package dev.runlane.aws;

import dev.runlane.domain.Fence;
import dev.runlane.domain.Frame;
import dev.runlane.domain.OutputRecordedException;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.StaleAttemptException;
import dev.runlane.runs.RunIds;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionCheck;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.TransactionConflictException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import static dev.runlane.aws.Dynamo.n;
import static dev.runlane.aws.Dynamo.s;

/**
 * The fence in DynamoDB: one item per thread holding its newest token and the run and attempt that
 * took it. Acquiring is one transaction (the fence item, conditional on the token read, plus the run
 * item, conditional on the run not having ended); a fenced write is a transaction of a check that the
 * token is still the newest plus the write. Only a failed fence condition means stale: a transaction
 * conflict, a throttle or a network error is retried with bounded, jittered backoff.
 */
public class DynamoFence implements Fence {
    /** The fence table's item that holds the backend's epoch; thread ids never contain '#'. */
    static final String EPOCH_KEY = "#epoch";
    private static final int MAX_TRIES = 8;
    private static final long BASE_BACKOFF_MS = 20;
    private static final long MAX_BACKOFF_MS = 1_000;

    private final DynamoDbClient dynamo;
    private final String fencesTable;
    // The owners of the other tables' item shapes: the fence only makes their writes conditional.
    private final DynamoRunStore runs;
    private final DynamoFrames frames;

    public DynamoFence(DynamoDbClient dynamo, Settings settings) {
        this.dynamo = dynamo;
        this.fencesTable = settings.fencesTable();
        this.runs = new DynamoRunStore(dynamo, settings);
        this.frames = new DynamoFrames(dynamo, settings);
    }

    /** Who holds a thread's newest token (token 0: nobody yet). */
    private record Holder(long token, String runId, int attempt) {
    }

    @Override
    public long acquire(String threadId, String runId, int attempt, Instant at) {
        long unconfirmed = -1; // a token this attempt wrote without learning the outcome
        int faults = 0;
        while (true) {
            Holder holder = holder(threadId);
            if (runId.equals(holder.runId()) && holder.attempt() == attempt && holder.token() == unconfirmed) {
                return unconfirmed;
            }
            if (runId.equals(holder.runId()) && holder.attempt() >= attempt) {
                throw new StaleAttemptException("attempt " + attempt + " of run " + runId + " is refused: attempt "
                        + holder.attempt() + " of the run already took fence token " + holder.token());
            }
            long next = holder.token() + 1;
            try {
                dynamo.transactWriteItems(r -> r.transactItems(takeToken(threadId, runId, attempt, holder, next),
                        runs.beginAttempt(runId, attempt, next, at)));
                return next;
            } catch (TransactionCanceledException cancelled) {
                if (conditionFailed(cancelled, 1)) {
                    throw new StaleAttemptException("attempt " + attempt + " of run " + runId + " is refused: the run has ended");
                }
                if (!conditionFailed(cancelled, 0)) {
                    backoff(++faults, cancelled); // a conflict or a throttle: no verdict on the token
                } // else another attempt took the token since it was read (progress, not a fault): decide again
            } catch (SdkException e) {
                // A network error, or a 5xx after the SDK's own retries: the write may have committed.
                unconfirmed = next;
                backoff(++faults, e);
            }
        }
    }

    private TransactWriteItem takeToken(String threadId, String runId, int attempt, Holder holder, long next) {
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":next", n(next), ":run", s(runId), ":attempt", n(attempt)));
        String condition = "attribute_not_exists(#token)";
        if (holder.token() > 0) {
            condition = "#token = :current";
            values.put(":current", n(holder.token()));
        }
        String expected = condition;
        return TransactWriteItem.builder().update(u -> u.tableName(fencesTable).key(key(threadId))
                .updateExpression("SET #token = :next, runId = :run, attempt = :attempt")
                .conditionExpression(expected)
                .expressionAttributeNames(Map.of("#token", "token"))
                .expressionAttributeValues(values)).build();
    }

    private Holder holder(String threadId) {
        Map<String, AttributeValue> item = retried(() -> dynamo.getItem(r -> r.tableName(fencesTable)
                .key(key(threadId)).consistentRead(true)).item());
        if (item == null || !item.containsKey("token")) {
            return new Holder(0, null, 0);
        }
        AttributeValue attempt = item.get("attempt");
        AttributeValue run = item.get("runId");
        return new Holder(Long.parseLong(item.get("token").n()), run == null ? null : run.s(),
                attempt == null ? 0 : Integer.parseInt(attempt.n()));
    }

    @Override
    public void fenceOut(String threadId, String runId) {
        try {
            retried(() -> dynamo.updateItem(r -> r.tableName(fencesTable).key(key(threadId))
                    .updateExpression("ADD #token :one")
                    .conditionExpression("runId = :run")
                    .expressionAttributeNames(Map.of("#token", "token"))
                    .expressionAttributeValues(Map.of(":one", n(1), ":run", s(runId)))));
        } catch (ConditionalCheckFailedException notTheNewest) {
            // A later run of the thread holds the newest token: this run's attempts are already fenced out.
        }
    }

    @Override
    public void append(String threadId, RunEvent event) {
        fenced(event.runId(), event.fenceToken(), threadId, runs.appendEvent(event));
    }

    @Override
    public void recordOutput(String threadId, String runId, long token, String output) {
        try {
            fenced(runId, token, threadId, runs.putOutput(runId, token, output));
        } catch (TransactionCanceledException cancelled) {
            if (!conditionFailed(cancelled, 1)) {
                throw cancelled;
            }
            // This token's output is recorded: the same one is this write again (a retried request that had
            // committed), another one a second end reported for the attempt.
            if (!output.equals(runs.payloads(runId).output())) {
                throw new OutputRecordedException(runId, token);
            }
        }
    }

    @Override
    public void sendStart(String threadId, Frame start, String taskToken) {
        fenced(start.runId(), start.fenceToken(), threadId,
                frames.put(start), runs.setTaskToken(start.runId(), taskToken));
    }

    @Override
    public void confirm(String threadId, String runId, long token) {
        if (holder(threadId).token() != token) {
            throw new StaleAttemptException(runId, token);
        }
    }

    @Override
    public String epoch() {
        // Read on every use, never cached: a backend that lost its fence table must be recognised at once.
        Map<String, AttributeValue> key = key(EPOCH_KEY);
        Map<String, AttributeValue> item = retried(() -> dynamo.getItem(r -> r.tableName(fencesTable).key(key))).item();
        if (item != null && item.containsKey("epoch")) {
            return item.get("epoch").s();
        }
        // Created on first use (after any SnapStart restore); the first writer wins, the rest read it.
        String fresh = HexFormat.of().formatHex(RunIds.randomBytes(16));
        try {
            retried(() -> dynamo.putItem(r -> r.tableName(fencesTable)
                    .item(Map.of("threadId", s(EPOCH_KEY), "epoch", s(fresh)))
                    .conditionExpression("attribute_not_exists(threadId)")));
            return fresh;
        } catch (ConditionalCheckFailedException exists) {
            return retried(() -> dynamo.getItem(r -> r.tableName(fencesTable).key(key).consistentRead(true)))
                    .item().get("epoch").s();
        }
    }

    /** Writes only while {@code token} is the thread's newest; else the attempt is stale. */
    private void fenced(String runId, long token, String threadId, TransactWriteItem... writes) {
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(TransactWriteItem.builder().conditionCheck(ConditionCheck.builder()
                .tableName(fencesTable).key(key(threadId))
                .conditionExpression("#token = :token")
                .expressionAttributeNames(Map.of("#token", "token"))
                .expressionAttributeValues(Map.of(":token", n(token))).build()).build());
        items.addAll(List.of(writes));
        for (int tries = 1; ; tries++) {
            try {
                dynamo.transactWriteItems(r -> r.transactItems(items));
                return;
            } catch (TransactionCanceledException cancelled) {
                if (conditionFailed(cancelled, 0)) {
                    throw new StaleAttemptException(runId, token);
                }
                backoff(tries, cancelled);
            } catch (SdkException e) {
                backoff(tries, e);
            }
        }
    }

    /** Runs a single-item call, retrying what is transient (the SDK's own retries come first). */
    private static <T> T retried(Supplier<T> call) {
        for (int tries = 1; ; tries++) {
            try {
                return call.get();
            } catch (ConditionalCheckFailedException verdict) {
                throw verdict;
            } catch (SdkException e) {
                backoff(tries, e);
            }
        }
    }

    private static boolean conditionFailed(TransactionCanceledException cancelled, int item) {
        List<CancellationReason> reasons = cancelled.cancellationReasons();
        return reasons.size() > item && "ConditionalCheckFailed".equals(reasons.get(item).code());
    }

    /**
     * Waits before another try of a transient failure, or rethrows: a conflict, a throttle, a server
     * or network error is transient; a validation error or a missing table is not.
     */
    private static void backoff(int tries, SdkException e) {
        boolean transientError = e instanceof SdkClientException || e instanceof TransactionConflictException
                || e instanceof TransactionCanceledException cancelled && cancelled.cancellationReasons().stream()
                        .map(CancellationReason::code).allMatch(DynamoFence::isTransientReason)
                || e instanceof AwsServiceException service && (service.isThrottlingException() || service.statusCode() >= 500);
        if (!transientError || tries >= MAX_TRIES) {
            throw e;
        }
        long cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS << Math.min(tries, 10));
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw e;
        }
    }

    private static boolean isTransientReason(String code) {
        return code == null || "None".equals(code) || "TransactionConflict".equals(code) || "ThrottlingError".equals(code)
                || "ProvisionedThroughputExceeded".equals(code);
    }

    private static Map<String, AttributeValue> key(String threadId) {
        return Map.of("threadId", s(threadId));
    }
}
