package dev.runlane.localcloud.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runlane.localcloud.AwsClients;
import dev.runlane.localcloud.Repo;
import dev.runlane.localcloud.moto.MotoServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** Provisions the real template.yaml against a real moto server. */
class ProvisionerMotoIT {
    private static MotoServer moto;
    private static Stack stack;

    @BeforeAll
    static void provision(@TempDir Path dir) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        moto = MotoServer.start(Repo.root().resolve("tools/moto/runlane_moto.py"), port, port, dir.resolve("moto.log"));
        stack = TemplateLoader.load(Repo.template(), Map.of("AttemptTimeoutSeconds", "5"), moto.uri());
        Provisioner.provision(stack, moto.uri());
    }

    @AfterAll
    static void stop() {
        if (moto != null) {
            moto.close();
        }
    }

    @Test
    void tablesHaveTheirKeysAndIndexes() {
        try (DynamoDbClient dynamo = AwsClients.dynamoDb(moto.uri())) {
            assertEquals(stack.tables().stream().map(Stack.Table::name).sorted().toList(), dynamo.listTables().tableNames().stream().sorted().toList());
            TableDescription runs = dynamo.describeTable(r -> r.tableName("runlane-RunsTable")).table();
            assertEquals("runId", runs.keySchema().get(0).attributeName());
            assertEquals("ByThread", runs.globalSecondaryIndexes().get(0).indexName());
            assertEquals("queueSeq", runs.globalSecondaryIndexes().get(0).keySchema().get(1).attributeName());
            assertEquals("PAY_PER_REQUEST", runs.billingModeSummary().billingModeAsString());
            assertEquals("expiresAt", dynamo.describeTimeToLive(r -> r.tableName("runlane-RunsTable"))
                    .timeToLiveDescription().attributeName());
        }
    }

    @Test
    void fifoQueueRedrivesToItsDeadLetterQueue() {
        try (SqsClient sqs = AwsClients.sqs(moto.uri())) {
            String url = sqs.getQueueUrl(r -> r.queueName("runlane-RunQueue.fifo")).queueUrl();
            Map<QueueAttributeName, String> attributes = sqs.getQueueAttributes(r -> r.queueUrl(url)
                    .attributeNames(QueueAttributeName.ALL)).attributes();
            assertEquals("true", attributes.get(QueueAttributeName.FIFO_QUEUE));
            assertEquals("180", attributes.get(QueueAttributeName.VISIBILITY_TIMEOUT));
            assertTrue(attributes.get(QueueAttributeName.REDRIVE_POLICY).contains("runlane-RunDeadLetterQueue.fifo"),
                    attributes.get(QueueAttributeName.REDRIVE_POLICY));
            assertEquals(stack.queues().get(0).url().replaceAll("^https?://[^/]+", ""), url.replaceAll("^https?://[^/]+", ""));
        }
    }

    @Test
    void stateMachineIsCreatedFromTheSubstitutedDefinition() {
        try (SfnClient sfn = AwsClients.sfn(moto.uri())) {
            String arn = stack.stateMachines().get(0).arn();
            var machine = sfn.describeStateMachine(r -> r.stateMachineArn(arn));
            assertEquals("runlane-RunStateMachine", machine.name());
            assertTrue(machine.definition().contains("\"TimeoutSeconds\": 5"), machine.definition());
            assertTrue(machine.definition().contains("runlane-FinalizeFunction:live"));
        }
    }

    /**
     * The local event source polls with several pollers, as Lambda's does: FIFO order then rests on
     * SQS withholding a group whose head is in flight from every other receive, also when receives
     * run at once (moto needs runlane_moto.py's lock for that).
     */
    @Test
    void concurrentReceivesNeverTakeTwoMessagesOfOneGroupInFlight() throws Exception {
        try (SqsClient sqs = AwsClients.sqs(moto.uri())) {
            String url = stack.queues().stream().filter(q -> q.logicalId().equals("RunQueue")).findFirst().orElseThrow().url();
            int groups = 6;
            int perGroup = 5;
            for (int i = 0; i < perGroup; i++) {
                for (int g = 0; g < groups; g++) {
                    String id = "g" + g + "-m" + i;
                    sqs.sendMessage(r -> r.queueUrl(url).messageBody(id).messageGroupId(id.substring(0, id.indexOf('-')))
                            .messageDeduplicationId(id));
                }
            }
            Set<String> inFlight = ConcurrentHashMap.newKeySet();
            Map<String, List<String>> order = new ConcurrentHashMap<>();
            List<String> overlaps = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
            try (var pollers = Executors.newFixedThreadPool(8)) {
                for (int p = 0; p < 8; p++) {
                    pollers.submit(() -> {
                        Instant deadline = Instant.now().plusSeconds(60);
                        while (received.get() < groups * perGroup && Instant.now().isBefore(deadline)) {
                            for (var m : sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(1).waitTimeSeconds(1)
                                    .attributeNamesWithStrings("MessageGroupId")).messages()) {
                                String group = m.attributesAsStrings().get("MessageGroupId");
                                if (!inFlight.add(group)) {
                                    overlaps.add(m.body());
                                }
                                order.computeIfAbsent(group, g -> Collections.synchronizedList(new ArrayList<>())).add(m.body());
                                inFlight.remove(group); // before the delete: once deleted, the group's next message may be received
                                sqs.deleteMessage(r -> r.queueUrl(url).receiptHandle(m.receiptHandle()));
                                received.incrementAndGet();
                            }
                        }
                        return null;
                    });
                }
            }
            assertEquals(groups * perGroup, received.get(), "every message received once");
            assertEquals(List.of(), overlaps, "no group had two messages in flight");
            order.forEach((group, bodies) -> assertEquals(
                    IntStream.range(0, perGroup).mapToObj(i -> group + "-m" + i).toList(), bodies, group + " in order"));
        }
    }
}
