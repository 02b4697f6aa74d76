package dev.runlane.aws;

import dev.runlane.domain.Daemons;
import dev.runlane.domain.Timestamps;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static dev.runlane.aws.Dynamo.s;

/** Registered daemons in DynamoDB, with the hash of each one's credential. */
public class DynamoDaemons implements Daemons {
    private final DynamoDbClient dynamo;
    private final String daemonsTable;

    public DynamoDaemons(DynamoDbClient dynamo, Settings settings) {
        this.dynamo = dynamo;
        this.daemonsTable = settings.daemonsTable();
    }

    @Override
    public boolean register(String daemonId, String credentialHash, Instant at) {
        try {
            dynamo.putItem(r -> r.tableName(daemonsTable).conditionExpression("attribute_not_exists(daemonId)")
                    .item(Map.of("daemonId", s(daemonId), "credentialHash", s(credentialHash),
                            "createdAt", s(Timestamps.format(at)))));
            return true;
        } catch (ConditionalCheckFailedException exists) {
            return false;
        }
    }

    @Override
    public boolean replaceCredential(String daemonId, String credentialHash, Instant at) {
        try {
            dynamo.updateItem(r -> r.tableName(daemonsTable).key(Map.of("daemonId", s(daemonId)))
                    .conditionExpression("attribute_exists(daemonId)")
                    .updateExpression("SET credentialHash = :hash, rotatedAt = :at")
                    .expressionAttributeValues(Map.of(":hash", s(credentialHash), ":at", s(Timestamps.format(at)))));
            return true;
        } catch (ConditionalCheckFailedException unknown) {
            return false;
        }
    }

    @Override
    public boolean remove(String daemonId) {
        Map<String, AttributeValue> old = dynamo.deleteItem(r -> r.tableName(daemonsTable).key(Map.of("daemonId", s(daemonId)))
                .returnValues(ReturnValue.ALL_OLD)).attributes();
        return old != null && !old.isEmpty();
    }

    @Override
    public Optional<String> credentialHash(String daemonId) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(daemonsTable)
                .key(Map.of("daemonId", s(daemonId))).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(item.get("credentialHash").s());
    }
}
