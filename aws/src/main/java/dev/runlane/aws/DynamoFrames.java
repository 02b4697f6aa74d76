package dev.runlane.aws;

import dev.runlane.domain.Frame;
import dev.runlane.domain.Frames;
import dev.runlane.domain.Timestamps;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.runlane.aws.Dynamo.n;
import static dev.runlane.aws.Dynamo.s;

/**
 * Daemon frames in DynamoDB: partition = daemon, sort key = frame id (the dispatcher's clock, not the
 * commit order). Acknowledging is a conditional delete, so each frame is removed by exactly one call.
 */
public class DynamoFrames implements Frames {
    private final DynamoDbClient dynamo;
    private final String framesTable;
    private final Duration retention;

    public DynamoFrames(DynamoDbClient dynamo, Settings settings) {
        this.dynamo = dynamo;
        this.framesTable = settings.framesTable();
        this.retention = Duration.ofDays(settings.retentionDays());
    }

    @Override
    public void send(Frame frame) {
        dynamo.putItem(r -> r.tableName(framesTable).item(toItem(frame, retention)));
    }

    @Override
    public List<Frame> unacknowledged(String daemonId, int limit) {
        return dynamo.query(QueryRequest.builder().tableName(framesTable).keyConditionExpression("daemonId = :daemon")
                        .expressionAttributeValues(Map.of(":daemon", s(daemonId))).consistentRead(true).limit(limit).build())
                .items().stream().map(DynamoFrames::toFrame).toList();
    }

    @Override
    public List<String> acknowledge(String daemonId, List<String> frameIds) {
        List<String> removed = new ArrayList<>();
        for (String frameId : frameIds) {
            try {
                dynamo.deleteItem(r -> r.tableName(framesTable).key(Map.of("daemonId", s(daemonId), "frameId", s(frameId)))
                        .conditionExpression("attribute_exists(frameId)"));
                removed.add(frameId);
            } catch (ConditionalCheckFailedException gone) {
                // Acknowledged before (by another process of the daemon, or dropped as its run ended): not this call's.
            }
        }
        return removed;
    }

    /** A frame's put, for the fence to make conditional. */
    TransactWriteItem put(Frame frame) {
        return TransactWriteItem.builder().put(p -> p.tableName(framesTable).item(toItem(frame, retention))).build();
    }

    private static Map<String, AttributeValue> toItem(Frame frame, Duration retention) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("daemonId", s(frame.daemonId()));
        item.put("frameId", s(frame.frameId()));
        item.put("kind", s(frame.kind().name().toLowerCase(Locale.ROOT)));
        item.put("runId", s(frame.runId()));
        item.put("threadId", s(frame.threadId()));
        item.put("fenceToken", n(frame.fenceToken()));
        if (frame.input() != null) {
            item.put("input", s(frame.input()));
        }
        if (frame.heartbeatSeconds() > 0) {
            item.put("heartbeatSeconds", n(frame.heartbeatSeconds()));
        }
        item.put("createdAt", s(Timestamps.format(frame.createdAt())));
        item.put("expiresAt", n(frame.createdAt().plus(retention).getEpochSecond()));
        return item;
    }

    static Frame toFrame(Map<String, AttributeValue> item) {
        AttributeValue input = item.get("input");
        AttributeValue heartbeat = item.get("heartbeatSeconds");
        return new Frame(item.get("frameId").s(), item.get("daemonId").s(),
                Frame.Kind.valueOf(item.get("kind").s().toUpperCase(Locale.ROOT)), item.get("runId").s(),
                item.get("threadId").s(), Long.parseLong(item.get("fenceToken").n()), input == null ? null : input.s(),
                heartbeat == null ? 0 : Integer.parseInt(heartbeat.n()), Instant.parse(item.get("createdAt").s()));
    }
}
