package dev.runlane.localcloud.template;

import dev.runlane.localcloud.AwsClients;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.LocalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughput;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/** Creates a {@link Stack}'s tables, queues and state machines through an AWS endpoint (the edge or moto). */
public final class Provisioner {
    /** moto checks nothing about it, but CreateStateMachine requires one. */
    static final String LOCAL_ROLE_ARN = "arn:aws:iam::" + Stack.ACCOUNT_ID + ":role/runlane-local";

    private Provisioner() {}

    public static void provision(Stack stack, URI endpoint) {
        try (DynamoDbClient dynamo = AwsClients.dynamoDb(endpoint);
                SqsClient sqs = AwsClients.sqs(endpoint);
                SfnClient sfn = AwsClients.sfn(endpoint)) {
            stack.tables().forEach(table -> createTable(dynamo, table));
            // A redrive target must exist before the queue that names it.
            stack.queues().stream().sorted(Comparator.comparing(Stack.Queue::hasRedrive))
                    .forEach(queue -> sqs.createQueue(r -> r.queueName(queue.name()).attributesWithStrings(queue.attributes())));
            stack.stateMachines().forEach(machine -> sfn.createStateMachine(r -> r.name(machine.name())
                    .definition(machine.definition()).roleArn(LOCAL_ROLE_ARN).type(machine.type())));
        }
    }

    private static void createTable(DynamoDbClient dynamo, Stack.Table table) {
        Map<String, Object> p = table.properties();
        CreateTableRequest.Builder request = CreateTableRequest.builder()
                .tableName(table.name())
                .attributeDefinitions(maps(p.get("AttributeDefinitions")).stream()
                        .map(a -> AttributeDefinition.builder().attributeName(str(a, "AttributeName")).attributeType(str(a, "AttributeType")).build())
                        .toList())
                .keySchema(keySchema(p.get("KeySchema")));
        String billing = p.containsKey("BillingMode") ? String.valueOf(p.get("BillingMode")) : "PROVISIONED";
        request.billingMode(BillingMode.fromValue(billing));
        if (p.get("ProvisionedThroughput") instanceof Map<?, ?> throughput) {
            request.provisionedThroughput(throughput(throughput));
        }
        List<GlobalSecondaryIndex> gsis = new ArrayList<>();
        for (Map<?, ?> gsi : maps(p.get("GlobalSecondaryIndexes"))) {
            GlobalSecondaryIndex.Builder index = GlobalSecondaryIndex.builder().indexName(str(gsi, "IndexName"))
                    .keySchema(keySchema(gsi.get("KeySchema"))).projection(projection(gsi.get("Projection")));
            if (gsi.get("ProvisionedThroughput") instanceof Map<?, ?> throughput) {
                index.provisionedThroughput(throughput(throughput));
            }
            gsis.add(index.build());
        }
        if (!gsis.isEmpty()) {
            request.globalSecondaryIndexes(gsis);
        }
        List<LocalSecondaryIndex> lsis = maps(p.get("LocalSecondaryIndexes")).stream()
                .map(lsi -> LocalSecondaryIndex.builder().indexName(str(lsi, "IndexName"))
                        .keySchema(keySchema(lsi.get("KeySchema"))).projection(projection(lsi.get("Projection"))).build())
                .toList();
        if (!lsis.isEmpty()) {
            request.localSecondaryIndexes(lsis);
        }
        dynamo.createTable(request.build());
        if (p.get("TimeToLiveSpecification") instanceof Map<?, ?> ttl && Boolean.parseBoolean(String.valueOf(ttl.get("Enabled")))) {
            dynamo.updateTimeToLive(r -> r.tableName(table.name())
                    .timeToLiveSpecification(s -> s.attributeName(str(ttl, "AttributeName")).enabled(true)));
        }
    }

    private static List<KeySchemaElement> keySchema(Object value) {
        return maps(value).stream()
                .map(k -> KeySchemaElement.builder().attributeName(str(k, "AttributeName")).keyType(str(k, "KeyType")).build())
                .toList();
    }

    private static Projection projection(Object value) {
        Map<?, ?> p = value instanceof Map<?, ?> m ? m : Map.of();
        Projection.Builder projection = Projection.builder().projectionType(p.containsKey("ProjectionType") ? str(p, "ProjectionType") : "KEYS_ONLY");
        if (p.get("NonKeyAttributes") instanceof List<?> attributes) {
            projection.nonKeyAttributes(attributes.stream().map(String::valueOf).toList());
        }
        return projection.build();
    }

    private static ProvisionedThroughput throughput(Map<?, ?> t) {
        return ProvisionedThroughput.builder()
                .readCapacityUnits(Long.parseLong(str(t, "ReadCapacityUnits")))
                .writeCapacityUnits(Long.parseLong(str(t, "WriteCapacityUnits")))
                .build();
    }

    private static List<Map<?, ?>> maps(Object value) {
        List<Map<?, ?>> out = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (Object item : list) {
                if (item instanceof Map<?, ?> m) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    private static String str(Map<?, ?> map, String key) {
        return String.valueOf(map.get(key));
    }
}
