package dev.runlane.e2e;

import dev.runlane.localcloud.LocalCloud;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionListItem;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.StateMachineListItem;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * What the scenarios talk to: an API URL and an AWS endpoint, nothing else. By default a local
 * cloud started for the whole test run; with {@code RUNLANE_E2E_API_URL} an existing stack (e.g. one
 * deployed with SAM), its API calls signed with SigV4 and its AWS calls sent to
 * {@code RUNLANE_E2E_AWS_ENDPOINT}, or to the AWS SDK's own endpoints when that is not set; or the
 * template deployed into LocalStack ({@link LocalStackStack}, the parity suite). The queues and the
 * state machine are found through the AWS APIs by their logical names, unless the stack's Outputs
 * named them.
 */
public final class E2eStack implements AutoCloseable {
    /**
     * The hosted attempt timeout of the stack the suite starts. Not 3 s: scenario g must observe a
     * 60 s run RUNNING in its first attempt and cancel it there (and h stop it there), which a
     * 3 s timeout, cold starts included, would race on 2 cores. Override with
     * {@code -Drunlane.e2e.attemptTimeoutSeconds}.
     */
    public static final int ATTEMPT_TIMEOUT_SECONDS = Integer.getInteger("runlane.e2e.attemptTimeoutSeconds", 12);

    /**
     * The desktop heartbeat window of the stack the suite starts: a desktop run whose daemon stops
     * heartbeating ends TIMED_OUT this long after its last heartbeat (desktop scenario b waits for it).
     * The scenarios' daemons heartbeat every second: ten beats per window, on a loaded 2-core machine
     * too. Override with {@code -Drunlane.e2e.heartbeatSeconds}.
     */
    public static final int HEARTBEAT_SECONDS = Integer.getInteger("runlane.e2e.heartbeatSeconds", 10);

    /**
     * The gate's hold of the stack the suite starts: a run whose end event was lost frees its thread
     * within one hold (chaos scenario e waits for that). With RunTimeoutSeconds 3600 no floor raises it.
     */
    public static final int HOLD_SECONDS = Integer.getInteger("runlane.e2e.holdSeconds", 10);

    /** The queue cap per thread of the stack the suite starts (chaos scenario g fills one thread up to it). */
    public static final int THREAD_QUEUE_CAP = Integer.getInteger("runlane.e2e.threadQueueCap", 12);

    /**
     * Retries of a hosted attempt: 6, so that a run of the load under faults (chaos h), whose faults
     * hit attempts at random (and whose attempts may also time out on a loaded 2-core machine), fails
     * only if seven attempts in a row are hit.
     */
    public static final int HOSTED_RETRIES = 6;

    /**
     * The long polls one caller may hold at once on the stack the suite starts. Locally every caller is the same
     * (127.0.0.1) and the API function has 3 sandboxes: 2 leaves one to answer everything else during a flood (chaos
     * n), as the template's default must stay below what the API may run at once on AWS.
     */
    public static final int LONG_POLLS_PER_CALLER = 2;

    /** Template parameters of the local cloud the suite starts (as sam --parameter-overrides). */
    static Map<String, String> parameterOverrides() {
        return Map.of(
                "AttemptTimeoutSeconds", String.valueOf(ATTEMPT_TIMEOUT_SECONDS),
                "HostedRetryMaxAttempts", String.valueOf(HOSTED_RETRIES),
                "RetryIntervalSeconds", "1",
                "RetryMaxDelaySeconds", "2",
                "HeartbeatSeconds", String.valueOf(HEARTBEAT_SECONDS),
                "HoldSeconds", String.valueOf(HOLD_SECONDS),
                "RunTimeoutSeconds", "3600",
                "ThreadQueueCap", String.valueOf(THREAD_QUEUE_CAP),
                "LongPollsPerCaller", String.valueOf(LONG_POLLS_PER_CALLER));
    }

    /** Resources a stack's Outputs already named; a {@code null} one is looked up by its logical name. */
    record Resources(String queueUrl, String deadLetterQueueUrl, String stateMachineArn, String framesTable, String fencesTable) {
        static final Resources LOOK_UP = new Resources(null, null, null, null, null);
    }

    private final LocalCloud cloud;
    private final AutoCloseable owner;
    private final Api api;
    private final URI awsEndpoint;
    private final SfnClient sfn;
    private final SqsClient sqs;
    private final DynamoDbClient dynamo;
    private final String queueUrl;
    private final String deadLetterQueueUrl;
    private final String stateMachineArn;
    private final String framesTable;
    private final String fencesTable;
    private final String description;

    private E2eStack(LocalCloud cloud, AutoCloseable owner, Api api, URI awsEndpoint, String region,
                     AwsCredentialsProvider credentials, Resources resources, String description) {
        this.cloud = cloud;
        this.owner = owner;
        this.api = api;
        this.awsEndpoint = awsEndpoint;
        this.description = description;
        this.sfn = configure(SfnClient.builder(), awsEndpoint, region, credentials).build();
        this.sqs = configure(SqsClient.builder(), awsEndpoint, region, credentials).build();
        this.dynamo = configure(DynamoDbClient.builder(), awsEndpoint, region, credentials).build();
        this.queueUrl = resources.queueUrl() != null ? resources.queueUrl() : queueNamed("RunQueue");
        this.deadLetterQueueUrl = resources.deadLetterQueueUrl() != null ? resources.deadLetterQueueUrl() : queueNamed("RunDeadLetterQueue");
        this.stateMachineArn = resources.stateMachineArn() != null ? resources.stateMachineArn() : stateMachineNamed("RunStateMachine");
        this.framesTable = resources.framesTable() != null ? resources.framesTable() : tableNamed("FramesTable");
        this.fencesTable = resources.fencesTable() != null ? resources.fencesTable() : tableNamed("FencesTable");
    }

    /**
     * A stack the suite did not start from a local cloud (LocalStack's): {@code owner} is closed with it;
     * its API calls are signed by {@code signer} (null: unsigned).
     */
    static E2eStack of(AutoCloseable owner, URI apiUri, SigV4 signer, URI awsEndpoint, String region,
                       AwsCredentialsProvider credentials, Resources resources, String description) {
        return new E2eStack(null, owner, new Api(apiUri, signer), awsEndpoint, region, credentials, resources, description);
    }

    /** The stack named by the environment, else a new local cloud from the repository's template.yaml. */
    static E2eStack open() {
        String apiUrl = System.getenv("RUNLANE_E2E_API_URL");
        if (apiUrl != null && !apiUrl.isBlank()) {
            E2eStack stack = external(URI.create(apiUrl.trim()), System.getenv("RUNLANE_E2E_AWS_ENDPOINT"));
            System.out.printf("[e2e] using %s (its hosted attempt timeout should be %d s)%n", stack, ATTEMPT_TIMEOUT_SECONDS);
            return stack;
        }
        Path root = repositoryRoot();
        Path template = root.resolve("template.yaml");
        Path log = Path.of("target", "e2e-localcloud.log").toAbsolutePath();
        PrintWriter logFile = logFile(log);
        routeSandboxLogs(logFile);
        long started = System.nanoTime();
        LocalCloud cloud = LocalCloud.start(new LocalCloud.Options(template, parameterOverrides(), 0, 0, 8, null, line -> {
            synchronized (logFile) {
                logFile.println(line);
                logFile.flush();
            }
        }));
        try {
            E2eStack stack = new E2eStack(cloud, null, new Api(cloud.apiUri()), cloud.edgeUri(), localRegion(), local(),
                    Resources.LOOK_UP, "local cloud: API " + cloud.apiUri() + ", AWS endpoint " + cloud.edgeUri() + ", parameters "
                            + parameterOverrides() + ", log " + log + ", daemons' logs " + DesktopDaemon.BASE);
            System.out.printf("[e2e] started %s in %.1f s%n", stack.description, (System.nanoTime() - started) / 1e9);
            return stack;
        } catch (RuntimeException e) {
            cloud.close();
            throw e;
        }
    }

    /**
     * An existing stack: its API at {@code apiUri}, every call signed with SigV4 (service execute-api,
     * the region of {@link SigV4#region}, credentials from the SDK's DefaultCredentialsProvider); its AWS
     * calls to {@code endpoint}, or, when that is blank, to the SDK's own endpoints for the region.
     */
    static E2eStack external(URI apiUri, String endpoint) {
        String region = SigV4.region(apiUri);
        AwsCredentialsProvider credentials = externalCredentials();
        URI awsEndpoint = endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint.trim());
        return new E2eStack(null, null, new Api(apiUri, new SigV4(credentials, region)), awsEndpoint, region, credentials,
                Resources.LOOK_UP, "existing stack: API " + apiUri + " (SigV4-signed, service " + SigV4.SERVICE + ", region "
                        + region + "), AWS " + (awsEndpoint == null ? "the SDK's endpoints for " + region : "endpoint " + awsEndpoint));
    }

    /**
     * The SDK's DefaultCredentialsProvider (environment, system properties, profiles, SSO, container and
     * instance roles) when it finds credentials; else local/local, which only a local cloud or LocalStack
     * accepts (AWS refuses them, and says so in its 403).
     */
    private static AwsCredentialsProvider externalCredentials() {
        DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build();
        try {
            chain.resolveCredentials();
            return chain;
        } catch (RuntimeException none) {
            System.out.println("[e2e] DefaultCredentialsProvider found no AWS credentials (" + none.getMessage()
                    + "): signing with local/local, which only a local cloud or LocalStack accepts");
            return local();
        }
    }

    public Api api() {
        return api;
    }

    public URI awsEndpoint() {
        return awsEndpoint;
    }

    public SfnClient sfn() {
        return sfn;
    }

    public SqsClient sqs() {
        return sqs;
    }

    public DynamoDbClient dynamo() {
        return dynamo;
    }

    /** The daemons' frames table (desktop scenario e writes a replayed start frame into it). */
    public String framesTable() {
        return framesTable;
    }

    /** The threads' fences (chaos scenario j loses them, as a reset backend would). */
    public String fencesTable() {
        return fencesTable;
    }

    /**
     * The physical name of a template function, on the local cloud the suite started; empty on an
     * existing stack (scenarios that invoke functions directly then skip).
     */
    public java.util.Optional<String> functionName(String logicalId) {
        return cloud == null ? java.util.Optional.empty() : cloud.stack().functions().stream()
                .filter(f -> f.logicalId().equals(logicalId)).map(dev.runlane.localcloud.template.Stack.Function::name).findFirst();
    }

    /** The web console the local cloud serves; none for a stack the suite did not start. */
    public java.util.Optional<URI> consoleUri() {
        return cloud == null ? java.util.Optional.empty() : java.util.Optional.of(cloud.consoleUri());
    }

    public String queueUrl() {
        return queueUrl;
    }

    public String deadLetterQueueUrl() {
        return deadLetterQueueUrl;
    }

    public String stateMachineArn() {
        return stateMachineArn;
    }

    @Override
    public String toString() {
        return description;
    }

    // ---------------------------------------------------------------- Step Functions views

    /** The state machine's executions named {@code name} (every page, every status). */
    public List<ExecutionListItem> executionsNamed(String name) {
        List<ExecutionListItem> found = new ArrayList<>();
        sfn.listExecutionsPaginator(r -> r.stateMachineArn(stateMachineArn).maxResults(1000)).executions()
                .forEach(e -> {
                    if (name.equals(e.name())) {
                        found.add(e);
                    }
                });
        return found;
    }

    /** An execution's history, oldest first (every page). */
    public List<HistoryEvent> history(String executionArn) {
        List<HistoryEvent> events = new ArrayList<>();
        sfn.getExecutionHistoryPaginator(r -> r.executionArn(executionArn).maxResults(1000)).events().forEach(events::add);
        return events;
    }

    // ---------------------------------------------------------------- lookup

    private String queueNamed(String logicalName) {
        List<String> urls = sqs.listQueues(r -> r.maxResults(1000)).queueUrls().stream()
                .filter(url -> lastSegment(url).matches("(?:.*-)?" + logicalName + "(?:-[^-]*)?\\.fifo"))
                .toList();
        if (urls.size() != 1) {
            throw new IllegalStateException("expected one queue named like " + logicalName + " at " + where() + ", found " + urls);
        }
        return urls.get(0);
    }

    private String stateMachineNamed(String logicalName) {
        List<String> arns = sfn.listStateMachines(r -> r.maxResults(1000)).stateMachines().stream()
                .map(StateMachineListItem::stateMachineArn)
                .filter(arn -> lastSegment(arn.replace(':', '/')).matches("(?:.*-)?" + logicalName + "(?:-[^-]*)?"))
                .toList();
        if (arns.size() != 1) {
            throw new IllegalStateException("expected one state machine named like " + logicalName + " at " + where() + ", found " + arns);
        }
        return arns.get(0);
    }

    /** A table of the stack by its logical name in template.yaml, e.g. "ThreadsTable". */
    String tableNamed(String logicalName) {
        List<String> names = dynamo.listTablesPaginator(r -> r.limit(100)).tableNames().stream()
                .filter(name -> name.matches("(?:.*-)?" + logicalName + "(?:-[^-]*)?"))
                .toList();
        if (names.size() != 1) {
            throw new IllegalStateException("expected one table named like " + logicalName + " at " + where() + ", found " + names);
        }
        return names.get(0);
    }

    private String where() {
        return awsEndpoint == null ? "the SDK's endpoints" : awsEndpoint.toString();
    }

    private static String lastSegment(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The region of the local cloud the suite starts (as before: AWS_REGION, else us-east-1). */
    private static String localRegion() {
        return System.getenv().getOrDefault("AWS_REGION", "us-east-1");
    }

    /** An AWS client for the stack: {@code endpoint} null means the SDK's own endpoint for the region. */
    static <B extends AwsClientBuilder<B, ?>> B configure(B builder, URI endpoint, String region, AwsCredentialsProvider credentials) {
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        builder.region(Region.of(region)).credentialsProvider(credentials);
        if (builder instanceof software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder<?, ?> sync) {
            sync.httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5))
                    .socketTimeout(Duration.ofSeconds(30)).build());
        }
        return builder;
    }

    static AwsCredentialsProvider local() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
    }

    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("template.yaml"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("template.yaml not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    /** Keeps the sandboxes' output (java.util.logging, logger dev.runlane.localcloud) in the log file, not the test log. */
    private static final java.util.logging.Logger LOCALCLOUD_LOGGER = java.util.logging.Logger.getLogger("dev.runlane.localcloud");

    private static void routeSandboxLogs(PrintWriter logFile) {
        LOCALCLOUD_LOGGER.setUseParentHandlers(false);
        LOCALCLOUD_LOGGER.addHandler(new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                synchronized (logFile) {
                    logFile.println(record.getMessage());
                    logFile.flush();
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        });
    }

    private static PrintWriter logFile(Path log) {
        try {
            Files.createDirectories(log.getParent());
            return new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the local cloud (or LocalStack) the suite started (an existing stack is left alone). */
    @Override
    public void close() {
        sfn.close();
        sqs.close();
        dynamo.close();
        if (owner != null) {
            try {
                owner.close();
            } catch (Exception e) {
                System.out.println("[e2e] closing " + description + ": " + e);
            }
        }
        if (cloud != null) {
            long started = System.nanoTime();
            cloud.close();
            System.out.printf("[e2e] local cloud stopped in %.1f s%n", (System.nanoTime() - started) / 1e9);
        }
    }
}
