package dev.runlane.testing;

import dev.runlane.aws.Settings;
import dev.runlane.localcloud.AwsClients;
import dev.runlane.localcloud.moto.MotoServer;
import dev.runlane.localcloud.template.Provisioner;
import dev.runlane.localcloud.template.Stack;
import dev.runlane.localcloud.template.TemplateLoader;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.time.Instant;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import java.util.Optional;

/**
 * A moto server with template.yaml's tables, queues and state machine, started once per test JVM
 * and stopped when it exits. State machines are not executed here (no Lambda): executing the
 * workflow end to end is the local cloud's job. Tests share it and keep apart by unique ids.
 */
public final class LocalAws {
    private static LocalAws instance;

    public final URI endpoint;
    public final Stack stack;
    public final DynamoDbClient dynamo;
    public final SqsClient sqs;
    public final SfnClient sfn;
    public final Settings settings;

    private LocalAws(URI endpoint, Stack stack) {
        this.endpoint = endpoint;
        this.stack = stack;
        this.dynamo = AwsClients.dynamoDb(endpoint);
        this.sqs = AwsClients.sqs(endpoint);
        this.sfn = AwsClients.sfn(endpoint);
        this.settings = settings(stack, 300);
    }

    public static synchronized LocalAws get() {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    private static LocalAws start() {
        Path root = Path.of("..").toAbsolutePath().normalize();
        int port = freePort();
        try {
            Path log = Files.createTempFile("runlane-moto-", ".log");
            MotoServer moto = MotoServer.start(root.resolve("tools/moto/runlane_moto.py"), port, port, log);
            Runtime.getRuntime().addShutdownHook(new Thread(moto::close));
            withoutExecution(moto.uri());
            Stack stack = TemplateLoader.load(root.resolve("template.yaml"), Map.of(), moto.uri());
            Provisioner.provision(stack, moto.uri());
            return new LocalAws(moto.uri(), stack);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("could not start moto for the integration tests", e);
        }
    }

    /** moto's runtime switch: executions stay RUNNING until stopped, so the tests decide what happens. */
    private static void withoutExecution(URI moto) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(moto.resolve("/moto-api/config"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"stepfunctions\":{\"execute_state_machine\":false}}"))
                .header("content-type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200 && response.statusCode() != 201) {
            throw new IllegalStateException("moto refused its config: " + response.statusCode() + " " + response.body());
        }
    }

    /**
     * Receives these runs' thread messages from the shared queue within a bound. Their threads' other
     * messages are given back (they wait behind their head); other tests' leftovers are hidden for a
     * minute, so they cannot crowd this test's messages out of the receive batches.
     */
    public Map<String, Message> receive(Collection<String> runIds) {
        Set<String> threads = new HashSet<>();
        for (String runId : runIds) {
            threads.add(dynamo.getItem(r -> r.tableName(settings.runsTable()).consistentRead(true)
                    .key(Map.of("runId", AttributeValue.fromS(runId)))).item().get("threadId").s());
        }
        Map<String, Message> received = new HashMap<>();
        Instant deadline = Instant.now().plusSeconds(15);
        while (received.size() < runIds.size() && Instant.now().isBefore(deadline)) {
            for (Message message : sqs.receiveMessage(r -> r.queueUrl(settings.queueUrl()).maxNumberOfMessages(10)
                    .waitTimeSeconds(1).attributeNamesWithStrings("All")).messages()) {
                String runId = runIds.stream().filter(message.body()::contains).findFirst().orElse(null);
                boolean sameThread = threads.contains(message.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID));
                if (runId != null) {
                    received.put(runId, message);
                } else {
                    sqs.changeMessageVisibility(r -> r.queueUrl(settings.queueUrl())
                            .receiptHandle(message.receiptHandle()).visibilityTimeout(sameThread ? 0 : 60));
                }
            }
        }
        if (received.size() < runIds.size()) {
            throw new AssertionError("messages of " + runIds + " not received within 15 s; got " + received.keySet());
        }
        return received;
    }

    /** A function's settings exactly as template.yaml gives them (its environment), with a chosen hold time. */
    private static Settings settings(Stack stack, int holdSeconds) {
        Map<String, String> env = stack.functions().stream().filter(f -> f.logicalId().equals("GateFunction"))
                .findFirst().orElseThrow().environment();
        return new Settings() {
            @Override public String runsTable() { return env.get("RUNLANE_RUNS_TABLE"); }
            @Override public String fencesTable() { return env.get("RUNLANE_FENCES_TABLE"); }
            @Override public String eventsTable() { return env.get("RUNLANE_EVENTS_TABLE"); }
            @Override public String framesTable() { return env.get("RUNLANE_FRAMES_TABLE"); }
            @Override public String daemonsTable() { return env.get("RUNLANE_DAEMONS_TABLE"); }
            @Override public String payloadsTable() { return env.get("RUNLANE_PAYLOADS_TABLE"); }
            @Override public String threadsTable() { return env.get("RUNLANE_THREADS_TABLE"); }
            @Override public String pollsTable() { return env.get("RUNLANE_POLLS_TABLE"); }
            @Override public String queueUrl() { return env.get("RUNLANE_QUEUE_URL"); }
            @Override public Optional<String> deadLetterQueueUrl() { return Optional.of(env.get("RUNLANE_DEAD_LETTER_QUEUE_URL")); }
            @Override public Optional<String> stateMachineArn() { return Optional.of(env.get("RUNLANE_STATE_MACHINE_ARN")); }
            @Override public int holdSeconds() { return holdSeconds; }
            @Override public int heartbeatSeconds() {
                return Integer.parseInt(stack.functions().stream().filter(f -> f.logicalId().equals("DesktopDispatchFunction"))
                        .findFirst().orElseThrow().environment().get("RUNLANE_HEARTBEAT_SECONDS"));
            }
            @Override public int retentionDays() { return Integer.parseInt(env.get("RUNLANE_RETENTION_DAYS")); }
            @Override public int runTimeoutSeconds() { return Integer.parseInt(env.get("RUNLANE_RUN_TIMEOUT_SECONDS")); }
            @Override public int threadQueueCap() { return 1000; }
            @Override public int longPollsPerCaller() { return 10; }
            @Override public String defaultAgent() { return "echo"; }
        };
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
