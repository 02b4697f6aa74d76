package dev.runlane.aws;

import dev.runlane.domain.Page;
import dev.runlane.domain.Run;
import dev.runlane.domain.ThreadState;
import dev.runlane.domain.Threads;
import dev.runlane.domain.Timestamps;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static dev.runlane.aws.Dynamo.decodeCursor;
import static dev.runlane.aws.Dynamo.n;
import static dev.runlane.aws.Dynamo.page;
import static dev.runlane.aws.Dynamo.s;
import static dev.runlane.aws.Dynamo.str;

/**
 * The threads' controls in DynamoDB (ThreadsTable in template.yaml): one item per thread, read strongly.
 * Each admission, pause and resume stamps {@code activeAt} and the constant {@code listing}, which key
 * the Recent index the thread list reads.
 */
public class DynamoThreads implements Threads {
    private static final String RECENT = "Recent";
    private static final String LISTING = "threads";
    /** The Recent index's keys, set by every write that makes a thread active (values :at and :listing). */
    private static final String ACTIVE = "activeAt = :at, listing = :listing";
    /** How many of the thread's runs have not ended: changed only in the writes that create and end runs. */
    private static final String UNFINISHED = "unfinished";
    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoThreads(DynamoDbClient dynamo, Settings settings) {
        this.dynamo = dynamo;
        this.table = settings.threadsTable();
    }

    @Override
    public ThreadState find(String threadId) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(table).key(key(threadId)).consistentRead(true)).item();
        return item == null || item.isEmpty() ? ThreadState.idle(threadId) : toState(threadId, item);
    }

    @Override
    public Page<ThreadState> recent(int limit, String cursor) {
        return page(dynamo.query(r -> r.tableName(table).indexName(RECENT)
                .keyConditionExpression("listing = :listing")
                .expressionAttributeValues(Map.of(":listing", s(LISTING)))
                .scanIndexForward(false).limit(limit)
                .exclusiveStartKey(decodeCursor(cursor, "listing", LISTING))), item -> toState(str(item, "threadId"), item));
    }

    @Override
    public ThreadState pause(String threadId, Instant at) {
        return toState(threadId, dynamo.updateItem(r -> r.tableName(table).key(key(threadId))
                .updateExpression("SET paused = :yes, pausedAt = if_not_exists(pausedAt, :at), " + ACTIVE)
                .expressionAttributeValues(Map.of(":yes", AttributeValue.fromBool(true), ":at", s(Timestamps.format(at)),
                        ":listing", s(LISTING)))
                .returnValues(ReturnValue.ALL_NEW)).attributes());
    }

    @Override
    public Optional<String> resume(String threadId, Instant at) {
        Map<String, AttributeValue> now = dynamo.updateItem(r -> r.tableName(table).key(key(threadId))
                .updateExpression("SET paused = :no, " + ACTIVE + " REMOVE pausedAt")
                .expressionAttributeValues(Map.of(":no", AttributeValue.fromBool(false), ":at", s(Timestamps.format(at)),
                        ":listing", s(LISTING)))
                .returnValues(ReturnValue.ALL_NEW)).attributes();
        return Optional.ofNullable(str(now, "heldReceipt"));
    }

    @Override
    public boolean holdWhilePaused(String threadId, String receiptHandle) {
        try {
            dynamo.updateItem(r -> r.tableName(table).key(key(threadId))
                    .updateExpression("SET heldReceipt = :receipt")
                    .conditionExpression("paused = :yes")
                    .expressionAttributeValues(Map.of(":receipt", s(receiptHandle), ":yes", AttributeValue.fromBool(true))));
            return true;
        } catch (ConditionalCheckFailedException resumed) {
            return false;
        }
    }

    @Override
    public ThreadState supersedeBefore(String threadId, String queuePosition) {
        try {
            return toState(threadId, dynamo.updateItem(r -> r.tableName(table).key(key(threadId))
                    .updateExpression("SET supersededBefore = :seq")
                    .conditionExpression("attribute_not_exists(supersededBefore) OR supersededBefore < :seq")
                    .expressionAttributeValues(Map.of(":seq", s(queuePosition)))
                    .returnValues(ReturnValue.ALL_NEW)).attributes());
        } catch (ConditionalCheckFailedException later) {
            // A later cancel-others start already superseded more.
            return find(threadId);
        }
    }

    @Override
    public void cancelQueueBefore(String threadId, Instant at) {
        try {
            dynamo.updateItem(r -> r.tableName(table).key(key(threadId))
                    .updateExpression("SET cancelledBefore = :at")
                    .conditionExpression("attribute_not_exists(cancelledBefore) OR cancelledBefore < :at")
                    .expressionAttributeValues(Map.of(":at", s(Timestamps.format(at)))));
        } catch (ConditionalCheckFailedException later) {
            // A later thread cancel already covers every run this one would.
        }
    }

    // ------------------------------------------------------------------ writes other items' transactions include

    /**
     * The thread's side of the gate's admission: records the admitted run, only while the thread is not
     * paused, has not superseded the run's position and has not cancelled its queue since the run was created.
     */
    static TransactWriteItem admission(String table, Run run, String queuePosition, Instant at) {
        return TransactWriteItem.builder().update(u -> u.tableName(table).key(key(run.threadId()))
                .updateExpression("SET admittedRun = :run, admittedPosition = :seq, " + ACTIVE)
                .conditionExpression("(attribute_not_exists(paused) OR paused = :no)"
                        + " AND (attribute_not_exists(supersededBefore) OR supersededBefore <= :seq)"
                        + " AND (attribute_not_exists(cancelledBefore) OR cancelledBefore < :created)")
                .expressionAttributeValues(Map.of(":run", s(run.runId()), ":seq", s(queuePosition),
                        ":at", s(Timestamps.format(at)), ":listing", s(LISTING), ":no", AttributeValue.fromBool(false),
                        ":created", s(Timestamps.format(run.createdAt()))))).build();
    }

    /** A run of the thread was created: counted among its unfinished runs, only while they are fewer than {@code cap}. */
    static TransactWriteItem countCreated(String table, String threadId, int cap) {
        return TransactWriteItem.builder().update(u -> u.tableName(table).key(key(threadId))
                .updateExpression("ADD " + UNFINISHED + " :one")
                .conditionExpression("attribute_not_exists(" + UNFINISHED + ") OR " + UNFINISHED + " < :cap")
                .expressionAttributeValues(Map.of(":one", n(1), ":cap", n(cap)))).build();
    }

    /** A run of the thread ended: no longer counted among its unfinished runs. */
    static TransactWriteItem countEnded(String table, String threadId) {
        return TransactWriteItem.builder().update(u -> u.tableName(table).key(key(threadId))
                .updateExpression("ADD " + UNFINISHED + " :minus")
                .expressionAttributeValues(Map.of(":minus", n(-1)))).build();
    }

    private static Map<String, AttributeValue> key(String threadId) {
        return Map.of("threadId", s(threadId));
    }

    private static ThreadState toState(String threadId, Map<String, AttributeValue> item) {
        AttributeValue paused = item.get("paused");
        return new ThreadState(threadId, paused != null && Boolean.TRUE.equals(paused.bool()),
                Timestamps.parse(str(item, "pausedAt")), str(item, "heldReceipt"), str(item, "supersededBefore"),
                str(item, "admittedRun"), str(item, "admittedPosition"), Timestamps.parse(str(item, "activeAt")),
                Timestamps.parse(str(item, "cancelledBefore")));
    }
}
