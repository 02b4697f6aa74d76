package dev.runlane.aws;

import dev.runlane.domain.Fence;
import dev.runlane.domain.Frame;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.StaleAttemptException;
import dev.runlane.domain.Timestamps;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionCheck;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static dev.runlane.aws.Dynamo.n;
import static dev.runlane.aws.Dynamo.s;

/**
 * The fence in DynamoDB: one item per thread holding its newest token and the run that took it.
 * A fenced write is a transaction: a check that the token is still the newest, plus the write.
 */
public class DynamoFence implements Fence {
    private final DynamoDbClient dynamo;
    private final String fencesTable;
    private final String runsTable;
    private final String eventsTable;
    private final String framesTable;
    private final Duration retention;

    public DynamoFence(DynamoDbClient dynamo, Settings settings) {
        this.dynamo = dynamo;
        this.fencesTable = settings.fencesTable();
        this.runsTable = settings.runsTable();
        this.eventsTable = settings.eventsTable();
        this.framesTable = settings.framesTable();
        this.retention = Duration.ofDays(settings.retentionDays());
    }

    @Override
    public long acquire(String threadId, String runId) {
        AttributeValue token = dynamo.updateItem(r -> r.tableName(fencesTable).key(key(threadId))
                .updateExpression("ADD #token :one SET runId = :run")
                .expressionAttributeNames(Map.of("#token", "token"))
                .expressionAttributeValues(Map.of(":one", n(1), ":run", s(runId)))
                .returnValues(ReturnValue.UPDATED_NEW)).attributes().get("token");
        return Long.parseLong(token.n());
    }

    @Override
    public void fenceOut(String threadId, String runId) {
        try {
            dynamo.updateItem(r -> r.tableName(fencesTable).key(key(threadId))
                    .updateExpression("ADD #token :one")
                    .conditionExpression("runId = :run")
                    .expressionAttributeNames(Map.of("#token", "token"))
                    .expressionAttributeValues(Map.of(":one", n(1), ":run", s(runId))));
        } catch (ConditionalCheckFailedException notTheNewest) {
            // A later run of the thread holds the newest token: this run's attempts are already fenced out.
        }
    }

    @Override
    public int beginAttempt(String threadId, String runId, long token, Instant at) {
        fenced(runId, token, threadId, TransactWriteItem.builder().update(u -> u.tableName(runsTable)
                .key(Map.of("runId", s(runId)))
                .updateExpression("SET #status = :running, fenceToken = :token, startedAt = if_not_exists(startedAt, :at) "
                        + "ADD attempts :one")
                .conditionExpression("#status IN (:queued, :running)")
                .expressionAttributeNames(Map.of("#status", "status"))
                .expressionAttributeValues(Map.of(":running", s(RunStatus.RUNNING.name()),
                        ":queued", s(RunStatus.QUEUED.name()), ":token", n(token),
                        ":at", s(Timestamps.format(at)), ":one", n(1))))
                .build());
        Map<String, AttributeValue> run = dynamo.getItem(r -> r.tableName(runsTable)
                .key(Map.of("runId", s(runId))).consistentRead(true)).item();
        return Integer.parseInt(run.get("attempts").n());
    }

    @Override
    public void append(String threadId, RunEvent event) {
        // Sorted by time; token and a random suffix keep same-millisecond events apart.
        String eventKey = Timestamps.format(event.time()) + "#" + String.format("%012d", event.fenceToken()) + "#"
                + Long.toString(ThreadLocalRandom.current().nextLong(Long.MAX_VALUE), 36);
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("runId", s(event.runId()));
        item.put("eventKey", s(eventKey));
        item.put("attempt", n(event.attempt()));
        item.put("fenceToken", n(event.fenceToken()));
        item.put("time", s(Timestamps.format(event.time())));
        item.put("type", s(event.type()));
        item.put("data", s(event.data()));
        item.put("expiresAt", n(event.time().plus(retention).getEpochSecond()));
        fenced(event.runId(), event.fenceToken(), threadId,
                TransactWriteItem.builder().put(p -> p.tableName(eventsTable).item(item)).build());
    }

    @Override
    public void sendStart(String threadId, Frame start, String taskToken) {
        fenced(start.runId(), start.fenceToken(), threadId,
                TransactWriteItem.builder().put(p -> p.tableName(framesTable).item(DynamoFrames.toItem(start, retention))).build(),
                TransactWriteItem.builder().update(u -> u.tableName(runsTable).key(Map.of("runId", s(start.runId())))
                        .updateExpression("SET taskToken = :task")
                        .expressionAttributeValues(Map.of(":task", s(taskToken)))).build());
    }

    @Override
    public void confirm(String threadId, String runId, long token) {
        Map<String, AttributeValue> fence = dynamo.getItem(r -> r.tableName(fencesTable).key(key(threadId))
                .consistentRead(true)).item();
        AttributeValue newest = fence == null ? null : fence.get("token");
        if (newest == null || Long.parseLong(newest.n()) != token) {
            throw new StaleAttemptException(runId, token);
        }
    }

    /** Writes only while {@code token} is the thread's newest; else the attempt is stale. */
    private void fenced(String runId, long token, String threadId, TransactWriteItem... writes) {
        TransactWriteItem check = TransactWriteItem.builder().conditionCheck(ConditionCheck.builder()
                .tableName(fencesTable).key(key(threadId))
                .conditionExpression("#token = :token")
                .expressionAttributeNames(Map.of("#token", "token"))
                .expressionAttributeValues(Map.of(":token", n(token))).build()).build();
        for (int tries = 1; ; tries++) {
            try {
                List<TransactWriteItem> items = new ArrayList<>(List.of(writes));
                items.add(0, check);
                dynamo.transactWriteItems(r -> r.transactItems(items));
                return;
            } catch (TransactionCanceledException refused) {
                // A conflict with a concurrent transaction is no verdict on the token: ask again.
                boolean conflict = refused.cancellationReasons().stream()
                        .anyMatch(reason -> "TransactionConflict".equals(reason.code()));
                if (!conflict) {
                    throw new StaleAttemptException(runId, token);
                }
                if (tries == 3) {
                    throw refused;
                }
            }
        }
    }

    private static Map<String, AttributeValue> key(String threadId) {
        return Map.of("threadId", s(threadId));
    }
}
