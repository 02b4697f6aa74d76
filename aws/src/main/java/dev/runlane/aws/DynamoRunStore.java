package dev.runlane.aws;

import dev.runlane.domain.BusyPolicy;
import dev.runlane.domain.Page;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunError;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunPayloads;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.RunOptions;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.Target;
import dev.runlane.domain.Timestamps;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import static dev.runlane.aws.Dynamo.decodeCursor;
import static dev.runlane.aws.Dynamo.encodeCursor;
import static dev.runlane.aws.Dynamo.n;
import static dev.runlane.aws.Dynamo.page;
import static dev.runlane.aws.Dynamo.s;
import static dev.runlane.aws.Dynamo.str;

/**
 * Runs, their payloads and their events in DynamoDB (tables and indexes from template.yaml). A run's
 * status item is small; its input and output are items of the payloads table (key runId + kind). The
 * one owner of these three tables' item shapes: the fence's writes to them are built here too. Creating
 * and admitting a run also write its thread's item, in the same transaction (shapes from DynamoThreads).
 */
public class DynamoRunStore implements RunStore {
    static final String BY_THREAD = "ByThread";
    /** Sparse index of the runs that have not ended: only they carry {@code unfinishedThread}. */
    static final String UNFINISHED = "Unfinished";
    static final String INPUT = "input";
    static final String OUTPUT = "output";
    /** The deadline of a queued run (RunOptions.expiresAt); {@code expiresAt} is the TTL attribute. */
    static final String QUEUE_DEADLINE = "queueDeadline";
    static final String ON_BUSY = "onBusy";
    static final String RERUN_OF = "rerunOf";
    private static final int BATCH_GET = 100;
    private static final String NOT_TERMINAL = "#status IN (:queued, :running)";

    private final DynamoDbClient dynamo;
    private final String runsTable;
    private final String eventsTable;
    private final String payloadsTable;
    private final String threadsTable;
    private final Duration retention;
    /** An input outlives any run that can use it: 14 days queued (SQS's limit), a whole run, then the retention. */
    private final Duration inputRetention;

    public DynamoRunStore(DynamoDbClient dynamo, Settings settings) {
        this.dynamo = dynamo;
        this.runsTable = settings.runsTable();
        this.eventsTable = settings.eventsTable();
        this.payloadsTable = settings.payloadsTable();
        this.threadsTable = settings.threadsTable();
        this.retention = Duration.ofDays(settings.retentionDays());
        this.inputRetention = retention.plusDays(14).plusSeconds(settings.runTimeoutSeconds());
    }

    @Override
    public Optional<Run> find(String runId) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(runsTable).key(key(runId)).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(toRun(item));
    }

    @Override
    public Optional<Created> create(Run run, int threadCap) {
        try {
            DynamoRetry.call(() -> dynamo.transactWriteItems(r -> r.transactItems(
                    TransactWriteItem.builder().put(p -> p.tableName(runsTable).item(toItem(run))
                            .conditionExpression("attribute_not_exists(runId)")).build(),
                    DynamoThreads.countCreated(threadsTable, run.threadId(), threadCap))));
            return Optional.of(new Created(run, true));
        } catch (TransactionCanceledException refused) {
            if (DynamoRetry.conditionFailed(refused, 0)) {
                return Optional.of(new Created(find(run.runId()).orElseThrow(), false));
            }
            return Optional.empty(); // the thread's count is at its cap
        }
    }

    @Override
    public void storeInput(String runId, String input, Instant at) {
        dynamo.putItem(r -> r.tableName(payloadsTable).item(payloadItem(runId, INPUT, input, at.plus(inputRetention))));
    }

    @Override
    public RunPayloads payloads(String runId) {
        Map<String, String> texts = new HashMap<>();
        dynamo.query(QueryRequest.builder().tableName(payloadsTable).keyConditionExpression("runId = :run")
                        .expressionAttributeValues(Map.of(":run", s(runId))).consistentRead(true).build())
                .items().forEach(item -> texts.put(str(item, "kind"), str(item, "json")));
        return new RunPayloads(texts.get(INPUT), texts.get(OUTPUT));
    }

    // ------------------------------------------------------------------ writes the fence makes conditional

    /** An attempt begins: the run becomes RUNNING with the attempt's token, unless it has ended. */
    TransactWriteItem beginAttempt(String runId, int attempt, long token, Instant at) {
        return TransactWriteItem.builder().update(u -> u.tableName(runsTable).key(key(runId))
                .updateExpression("SET #status = :running, fenceToken = :token, attempts = :attempt, "
                        + "startedAt = if_not_exists(startedAt, :at)")
                .conditionExpression(NOT_TERMINAL)
                .expressionAttributeNames(Map.of("#status", "status"))
                .expressionAttributeValues(Map.of(":running", s(RunStatus.RUNNING.name()),
                        ":queued", s(RunStatus.QUEUED.name()), ":token", n(token), ":attempt", n(attempt),
                        ":at", s(Timestamps.format(at))))).build();
    }

    /** The Step Functions task token a desktop run's daemon reports back through. */
    TransactWriteItem setTaskToken(String runId, String taskToken) {
        return TransactWriteItem.builder().update(u -> u.tableName(runsTable).key(key(runId))
                .updateExpression("SET taskToken = :task")
                .expressionAttributeValues(Map.of(":task", s(taskToken)))).build();
    }

    TransactWriteItem appendEvent(RunEvent event) {
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
        return TransactWriteItem.builder().put(p -> p.tableName(eventsTable).item(item)).build();
    }

    /**
     * The run's output, marked with the token of the attempt that wrote it. One per token: a newer attempt's
     * replaces an older one's, a second put under the same token fails its condition.
     */
    TransactWriteItem putOutput(String runId, long token, String output) {
        Map<String, AttributeValue> item = payloadItem(runId, OUTPUT, output, Instant.now().plus(retention));
        item.put("fenceToken", n(token));
        return TransactWriteItem.builder().put(p -> p.tableName(payloadsTable).item(item)
                .conditionExpression("attribute_not_exists(runId) OR fenceToken < :token")
                .expressionAttributeValues(Map.of(":token", n(token)))).build();
    }

    private static Map<String, AttributeValue> payloadItem(String runId, String kind, String json, Instant expires) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("runId", s(runId));
        item.put("kind", s(kind));
        item.put("json", s(json));
        item.put("expiresAt", n(expires.getEpochSecond()));
        return item;
    }

    @Override
    public List<Run> unfinished(String threadId) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = dynamo.query(QueryRequest.builder().tableName(runsTable).indexName(UNFINISHED)
                    .keyConditionExpression("unfinishedThread = :thread")
                    .expressionAttributeValues(Map.of(":thread", s(threadId))).exclusiveStartKey(from).build());
            page.items().forEach(item -> keys.add(key(str(item, "runId"))));
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        // The index only names them (KEYS_ONLY, and it may lag): their status is read strongly.
        List<Run> found = new ArrayList<>();
        for (int i = 0; i < keys.size(); i += BATCH_GET) {
            batchGet(keys.subList(i, Math.min(keys.size(), i + BATCH_GET))).stream().map(DynamoRunStore::toRun)
                    .filter(run -> !run.isTerminal())
                    .forEach(found::add);
        }
        return found;
    }

    /** Strongly consistent reads of up to 100 runs, retrying the keys DynamoDB leaves unprocessed. */
    private List<Map<String, AttributeValue>> batchGet(List<Map<String, AttributeValue>> keys) {
        List<Map<String, AttributeValue>> items = new ArrayList<>();
        Map<String, KeysAndAttributes> pending = Map.of(runsTable, KeysAndAttributes.builder().keys(keys).consistentRead(true).build());
        while (!pending.isEmpty()) {
            Map<String, KeysAndAttributes> request = pending;
            BatchGetItemResponse response = dynamo.batchGetItem(r -> r.requestItems(request));
            items.addAll(response.responses().getOrDefault(runsTable, List.of()));
            pending = response.hasUnprocessedKeys() ? response.unprocessedKeys() : Map.of();
        }
        return items;
    }

    @Override
    public Page<Run> enqueuedBefore(String threadId, String queuePosition, int limit, String cursor) {
        return page(dynamo.query(QueryRequest.builder().tableName(runsTable).indexName(BY_THREAD)
                .keyConditionExpression("threadId = :thread AND queueSeq < :seq")
                .expressionAttributeValues(Map.of(":thread", s(threadId), ":seq", s(queuePosition)))
                .exclusiveStartKey(decodeCursor(cursor, "threadId", threadId))
                .scanIndexForward(false).limit(limit).build()), DynamoRunStore::toRun);
    }

    @Override
    public Optional<Run> newest(String threadId) {
        return dynamo.query(QueryRequest.builder().tableName(runsTable).indexName(BY_THREAD)
                        .keyConditionExpression("threadId = :thread")
                        .expressionAttributeValues(Map.of(":thread", s(threadId)))
                        .scanIndexForward(false).limit(1).build())
                .items().stream().findFirst().map(DynamoRunStore::toRun);
    }

    @Override
    public void recordQueueSeq(String runId, String queueSeq) {
        try {
            dynamo.updateItem(r -> r.tableName(runsTable).key(key(runId))
                    .updateExpression("SET queueSeq = :seq")
                    .conditionExpression("attribute_exists(runId) AND attribute_not_exists(queueSeq)")
                    .expressionAttributeValues(Map.of(":seq", s(queueSeq))));
        } catch (ConditionalCheckFailedException alreadyRecorded) {
            // A concurrent start of the same run recorded it first.
        }
    }

    @Override
    public Page<Run> listByThread(String threadId, int limit, String cursor) {
        QueryResponse page = dynamo.query(QueryRequest.builder().tableName(runsTable).indexName(BY_THREAD)
                .keyConditionExpression("threadId = :thread")
                .expressionAttributeValues(Map.of(":thread", s(threadId)))
                .exclusiveStartKey(decodeCursor(cursor, "threadId", threadId))
                .limit(limit).build());
        return page(page, DynamoRunStore::toRun);
    }

    @Override
    public Optional<Run> markRunning(String runId, String executionArn, String receiptHandle, String queuePosition) {
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":queued", s(RunStatus.QUEUED.name()),
                ":running", s(RunStatus.RUNNING.name()), ":arn", s(executionArn), ":receipt", s(receiptHandle)));
        String update = "SET #status = :running, executionArn = :arn, receiptHandle = :receipt";
        if (queuePosition != null) {
            // Its start may not have recorded it yet: an admitted run always has its place in the thread.
            update += ", queueSeq = if_not_exists(queueSeq, :seq)";
            values.put(":seq", s(queuePosition));
        }
        String expression = update;
        try {
            return Optional.of(toRun(dynamo.updateItem(r -> r.tableName(runsTable).key(key(runId))
                    .updateExpression(expression)
                    .conditionExpression(NOT_TERMINAL)
                    .expressionAttributeNames(Map.of("#status", "status"))
                    .expressionAttributeValues(values)
                    .returnValues(ReturnValue.ALL_NEW)).attributes()));
        } catch (ConditionalCheckFailedException terminal) {
            return Optional.empty();
        }
    }

    @Override
    public boolean admit(Run run, String queuePosition, String executionArn, String receiptHandle, Instant at) {
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":queued", s(RunStatus.QUEUED.name()),
                ":running", s(RunStatus.RUNNING.name()), ":arn", s(executionArn), ":receipt", s(receiptHandle),
                ":seq", s(queuePosition), ":now", s(Timestamps.format(at))));
        try {
            DynamoRetry.call(() -> dynamo.transactWriteItems(r -> r.transactItems(
                    TransactWriteItem.builder().update(u -> u.tableName(runsTable).key(key(run.runId()))
                            .updateExpression("SET #status = :running, executionArn = :arn, receiptHandle = :receipt, "
                                    + "queueSeq = if_not_exists(queueSeq, :seq)")
                            .conditionExpression("#status = :queued AND (attribute_not_exists(#deadline) OR #deadline > :now)")
                            .expressionAttributeNames(Map.of("#status", "status", "#deadline", QUEUE_DEADLINE))
                            .expressionAttributeValues(values)).build(),
                    DynamoThreads.admission(threadsTable, run, queuePosition, at))));
            return true;
        } catch (TransactionCanceledException refused) {
            return false;
        }
    }

    /** The run ends (if QUEUED, or also RUNNING unless {@code onlyIfQueued}): for the fence to write with its own. */
    TransactWriteItem end(String runId, RunStatus status, RunError error, Instant at, boolean onlyIfQueued) {
        Map<String, AttributeValue> values = new HashMap<>(Map.of(
                ":queued", s(RunStatus.QUEUED.name()),
                ":status", s(status.name()), ":at", s(Timestamps.format(at)),
                ":expires", n(at.plus(retention).getEpochSecond())));
        if (!onlyIfQueued) {
            values.put(":running", s(RunStatus.RUNNING.name()));
        }
        Map<String, String> names = new HashMap<>(Map.of("#status", "status"));
        StringBuilder update = new StringBuilder("SET #status = :status, finishedAt = :at, expiresAt = :expires");
        if (error != null) {
            update.append(", #error = :error");
            names.put("#error", "error");
            values.put(":error", AttributeValue.fromM(Map.of("code", s(error.code()),
                    "message", s(error.message() == null ? "" : error.message()))));
        }
        update.append(" REMOVE unfinishedThread");
        return TransactWriteItem.builder().update(u -> u.tableName(runsTable).key(key(runId))
                .updateExpression(update.toString())
                .conditionExpression(onlyIfQueued ? "#status = :queued" : NOT_TERMINAL)
                .expressionAttributeNames(names)
                .expressionAttributeValues(values)).build();
    }

    @Override
    public void countStaleWrite(String runId) {
        dynamo.updateItem(r -> r.tableName(runsTable).key(key(runId))
                .updateExpression("ADD staleWrites :one")
                .expressionAttributeValues(Map.of(":one", n(1))));
    }

    @Override
    public Page<RunEvent> events(String runId, int limit, String cursor) {
        QueryResponse page = dynamo.query(QueryRequest.builder().tableName(eventsTable)
                .keyConditionExpression("runId = :run")
                .expressionAttributeValues(Map.of(":run", s(runId)))
                .exclusiveStartKey(decodeCursor(cursor, "runId", runId))
                .consistentRead(true)
                .limit(limit).build());
        return page(page, DynamoRunStore::toEvent);
    }

    @Override
    public Page<RunEvent> eventsAfter(String runId, String after, int limit) {
        List<Map<String, AttributeValue>> items = dynamo.query(QueryRequest.builder().tableName(eventsTable)
                .keyConditionExpression("runId = :run")
                .expressionAttributeValues(Map.of(":run", s(runId)))
                .exclusiveStartKey(decodeCursor(after, "runId", runId))
                .consistentRead(true)
                .limit(limit).build()).items();
        String cursor = items.isEmpty() ? after
                : encodeCursor(Map.of("runId", s(runId), "eventKey", items.get(items.size() - 1).get("eventKey")));
        return new Page<>(items.stream().map(DynamoRunStore::toEvent).toList(), cursor);
    }

    // ------------------------------------------------------------------ mapping

    private static Map<String, AttributeValue> key(String runId) {
        return Map.of("runId", s(runId));
    }

    static Map<String, AttributeValue> toItem(Run run) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("runId", s(run.runId()));
        item.put("threadId", s(run.threadId()));
        item.put("target", s(run.target().wireName()));
        if (run.daemonId() != null) {
            item.put("daemonId", s(run.daemonId()));
        }
        item.put("status", s(run.status().name()));
        if (!run.isTerminal()) {
            item.put("unfinishedThread", s(run.threadId()));
        }
        item.put("attempts", n(run.attempts()));
        item.put("createdAt", s(Timestamps.format(run.createdAt())));
        item.put("requestHash", s(run.requestHash()));
        item.put("staleWrites", n(run.staleWrites()));
        RunOptions options = run.options();
        if (options.onBusy() != BusyPolicy.QUEUE) {
            item.put(ON_BUSY, s(options.onBusy().wireName()));
        }
        if (options.expiresAt() != null) {
            item.put(QUEUE_DEADLINE, s(Timestamps.format(options.expiresAt())));
        }
        if (options.rerunOf() != null) {
            item.put(RERUN_OF, s(options.rerunOf()));
        }
        return item;
    }

    static Run toRun(Map<String, AttributeValue> item) {
        AttributeValue error = item.get("error");
        return new Run(
                str(item, "runId"),
                str(item, "threadId"),
                Target.fromWire(str(item, "target")).orElseThrow(),
                str(item, "daemonId"),
                RunStatus.valueOf(str(item, "status")),
                (int) num(item, "attempts", 0),
                item.containsKey("fenceToken") ? num(item, "fenceToken", 0) : null,
                str(item, "executionArn"),
                error == null ? null : new RunError(str(error.m(), "code"), str(error.m(), "message")),
                Timestamps.parse(str(item, "createdAt")),
                Timestamps.parse(str(item, "startedAt")),
                Timestamps.parse(str(item, "finishedAt")),
                str(item, "queueSeq"),
                str(item, "receiptHandle"),
                str(item, "requestHash"),
                num(item, "staleWrites", 0),
                str(item, "taskToken"),
                new RunOptions(item.containsKey(ON_BUSY) ? BusyPolicy.fromWire(str(item, ON_BUSY)).orElseThrow() : BusyPolicy.QUEUE,
                        Timestamps.parse(str(item, QUEUE_DEADLINE)), str(item, RERUN_OF)));
    }

    static RunEvent toEvent(Map<String, AttributeValue> item) {
        return new RunEvent(str(item, "runId"), (int) num(item, "attempt", 0), num(item, "fenceToken", 0),
                Timestamps.parse(str(item, "time")), str(item, "type"), str(item, "data"));
    }


    private static long num(Map<String, AttributeValue> item, String name, long absent) {
        AttributeValue value = item.get(name);
        return value == null ? absent : Long.parseLong(value.n());
    }
}
