package dev.runlane.aws;

import dev.runlane.domain.Fence;
import dev.runlane.domain.Frame;
import dev.runlane.domain.OutputRecordedException;
import dev.runlane.domain.RunError;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.StaleAttemptException;
import dev.runlane.runs.RunIds;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionCheck;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

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

    private final DynamoDbClient dynamo;
    private final String fencesTable;
    private final String threadsTable;
    // The owners of the other tables' item shapes: the fence only makes their writes conditional.
    private final DynamoRunStore runs;
    private final DynamoFrames frames;

    public DynamoFence(DynamoDbClient dynamo, Settings settings) {
        this.dynamo = dynamo;
        this.fencesTable = settings.fencesTable();
        this.threadsTable = settings.threadsTable();
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
                if (DynamoRetry.conditionFailed(cancelled, 1)) {
                    throw new StaleAttemptException("attempt " + attempt + " of run " + runId + " is refused: the run has ended");
                }
                if (!DynamoRetry.conditionFailed(cancelled, 0)) {
                    DynamoRetry.backoff(++faults, cancelled); // a conflict or a throttle: no verdict on the token
                } // else another attempt took the token since it was read (progress, not a fault): decide again
            } catch (SdkException e) {
                // A network error, or a 5xx after the SDK's own retries: the write may have committed.
                unconfirmed = next;
                DynamoRetry.backoff(++faults, e);
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
        Map<String, AttributeValue> item = DynamoRetry.call(() -> dynamo.getItem(r -> r.tableName(fencesTable)
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
    public boolean end(String threadId, String runId, RunStatus status, RunError error, Instant at, boolean onlyIfQueued) {
        int faults = 0;
        while (true) {
            Holder holder = holder(threadId);
            List<TransactWriteItem> writes = new ArrayList<>(List.of(runs.end(runId, status, error, at, onlyIfQueued),
                    DynamoThreads.countEnded(threadsTable, threadId)));
            if (runId.equals(holder.runId())) {
                writes.add(fenceOut(threadId, holder));
            }
            try {
                dynamo.transactWriteItems(r -> r.transactItems(writes));
                return true;
            } catch (TransactionCanceledException cancelled) {
                if (DynamoRetry.conditionFailed(cancelled, 0)) {
                    return false;
                }
                if (!DynamoRetry.conditionFailed(cancelled, 2)) {
                    DynamoRetry.backoff(++faults, cancelled);
                } // else an attempt of the run took a newer token since it was read: fence that one out
            } catch (SdkException e) {
                // A network error, or a 5xx after the SDK's own retries: if the write committed, the next
                // try finds the run ended and says so (false), which the callers treat like a repeat.
                DynamoRetry.backoff(++faults, e);
            }
        }
    }

    /** A new token, so that the holder's attempts are fenced out; only while the holder still holds it. */
    private TransactWriteItem fenceOut(String threadId, Holder holder) {
        return TransactWriteItem.builder().update(u -> u.tableName(fencesTable).key(key(threadId))
                .updateExpression("SET #token = :next")
                .conditionExpression("#token = :current AND runId = :run")
                .expressionAttributeNames(Map.of("#token", "token"))
                .expressionAttributeValues(Map.of(":next", n(holder.token() + 1), ":current", n(holder.token()),
                        ":run", s(holder.runId())))).build();
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
            if (!DynamoRetry.conditionFailed(cancelled, 1)) {
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
        Map<String, AttributeValue> item = DynamoRetry.call(() -> dynamo.getItem(r -> r.tableName(fencesTable).key(key))).item();
        if (item != null && item.containsKey("epoch")) {
            return item.get("epoch").s();
        }
        // Created on first use (after any SnapStart restore); the first writer wins, the rest read it.
        String fresh = HexFormat.of().formatHex(RunIds.randomBytes(16));
        try {
            DynamoRetry.call(() -> dynamo.putItem(r -> r.tableName(fencesTable)
                    .item(Map.of("threadId", s(EPOCH_KEY), "epoch", s(fresh)))
                    .conditionExpression("attribute_not_exists(threadId)")));
            return fresh;
        } catch (ConditionalCheckFailedException exists) {
            return DynamoRetry.call(() -> dynamo.getItem(r -> r.tableName(fencesTable).key(key).consistentRead(true)))
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
                if (DynamoRetry.conditionFailed(cancelled, 0)) {
                    throw new StaleAttemptException(runId, token);
                }
                DynamoRetry.backoff(tries, cancelled);
            } catch (SdkException e) {
                DynamoRetry.backoff(tries, e);
            }
        }
    }

    private static Map<String, AttributeValue> key(String threadId) {
        return Map.of("threadId", s(threadId));
    }
}
