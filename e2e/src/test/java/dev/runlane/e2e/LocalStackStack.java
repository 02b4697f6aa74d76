package dev.runlane.e2e;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Capability;
import software.amazon.awssdk.services.cloudformation.model.Output;
import software.amazon.awssdk.services.cloudformation.model.Parameter;
import software.amazon.awssdk.services.cloudformation.model.Stack;
import software.amazon.awssdk.services.cloudformation.model.StackEvent;
import software.amazon.awssdk.services.cloudformation.model.StackStatus;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The repository's template.yaml deployed into LocalStack (Testcontainers' LocalStack module), for the
 * parity suite ({@link LocalStackParityIT}): the same scenarios as on the local cloud, against
 * LocalStack's Lambda, Step Functions, SQS, DynamoDB, EventBridge and API Gateway.
 *
 * <p>How it deploys, as {@code sam package} + {@code sam deploy} would: every local {@code CodeUri} and
 * {@code DefinitionUri} of the template (functions/target/function.zip, statemachines/run.asl.json) is
 * uploaded to an S3 bucket and rewritten to its {@code s3://} URI; the template, with its
 * {@code AWS::Serverless-2016-10-31} transform, goes to LocalStack's CloudFormation with the suite's
 * parameter overrides ({@link E2eStack#parameterOverrides()}); the stack's Outputs name the API
 * ({@code ApiUrl}), the queues, the state machine and the tables.
 *
 * <p>Needs Docker (LocalStack runs the functions in containers of its own, through the Docker socket the
 * module mounts) and {@code LOCALSTACK_AUTH_TOKEN}: the template's HTTP API is API Gateway v2, which
 * LocalStack serves only with a licence. Without either, {@link #unavailable()} says why and the
 * scenarios are skipped.
 */
final class LocalStackStack {
    /**
     * The one place the image is pinned: the licensed image (API Gateway v2) of LocalStack 4.14.0, the
     * last semantic-versioned release. Override with {@code -Drunlane.e2e.localstack.image=...}.
     */
    static final String IMAGE = System.getProperty("runlane.e2e.localstack.image", "localstack/localstack-pro:4.14.0");

    static final String STACK_NAME = "runlane-parity";
    static final String BUCKET = "runlane-parity-artifacts";
    static final String AUTH_TOKEN = "LOCALSTACK_AUTH_TOKEN";
    private static final Duration DEPLOY_BOUND = Duration.ofMinutes(10);
    /** The first API call cold-starts the API function (and pulls LocalStack's java21 runtime image). */
    private static final Duration API_READY_BOUND = Duration.ofMinutes(5);
    private static final Pattern LOCAL_ARTIFACT = Pattern.compile("(?m)^(\\s*)(CodeUri|DefinitionUri):[ \\t]*([^\\s#!{\\[\"']\\S*)[ \\t]*$");
    private static final Set<StackStatus> DEPLOYED = Set.of(StackStatus.CREATE_COMPLETE);

    private static Optional<String> unavailable;

    private LocalStackStack() {}

    /**
     * Why LocalStack cannot run here (empty: it can). Docker is checked as Testcontainers finds it
     * (DOCKER_HOST, the socket, ~/.testcontainers.properties). Printed once, so the skip shows in the log.
     */
    static synchronized Optional<String> unavailable() {
        if (unavailable == null) {
            String reason = null;
            if (!dockerAvailable()) {
                reason = "LocalStack parity suite skipped: no Docker (Testcontainers found no Docker environment;"
                        + " LocalStack and its Lambda functions run in Docker containers)";
            } else if (blank(System.getenv(AUTH_TOKEN))) {
                reason = "LocalStack parity suite skipped: " + AUTH_TOKEN + " is not set (template.yaml's HTTP API is"
                        + " API Gateway v2, which LocalStack serves only with a licence; image " + IMAGE + ")";
            }
            unavailable = Optional.ofNullable(reason);
            System.out.println("[e2e] " + unavailable.orElse("LocalStack parity suite: Docker found, image " + IMAGE));
        }
        return unavailable;
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Starts LocalStack, deploys the template and returns the stack; LocalStack stops when it closes. */
    static E2eStack open() {
        Optional<String> reason = unavailable();
        if (reason.isPresent()) {
            throw new IllegalStateException(reason.get());
        }
        Path root = E2eStack.repositoryRoot();
        if (!Files.isRegularFile(root.resolve("functions/target/function.zip"))) {
            throw new IllegalStateException("functions/target/function.zip is missing: build it first"
                    + " (mvn -DskipTests package, or mvn verify, which builds it before e2e)");
        }
        Path log = Path.of("target", "e2e-localstack.log").toAbsolutePath();
        PrintWriter logFile = logFile(log);
        long started = System.nanoTime();
        LocalStackContainer container = new LocalStackContainer(DockerImageName.parse(IMAGE)
                .asCompatibleSubstituteFor("localstack/localstack"))
                .withEnv(AUTH_TOKEN, System.getenv(AUTH_TOKEN))
                // The functions are arm64 (template Globals); run them on whatever this host is.
                .withEnv("LAMBDA_IGNORE_ARCHITECTURE", "1")
                // A Quarkus function's first start in a fresh runtime container, on a small machine.
                .withEnv("LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT", "120")
                .withStartupTimeout(Duration.ofMinutes(5))
                .withLogConsumer(frame -> {
                    synchronized (logFile) {
                        logFile.print(frame.getUtf8String());
                        logFile.flush();
                    }
                });
        container.start();
        try {
            URI endpoint = container.getEndpoint();
            String region = container.getRegion();
            AwsCredentialsProvider credentials = StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(container.getAccessKey(), container.getSecretKey()));
            Map<String, String> outputs = deploy(root, endpoint, region, credentials);
            String apiUrl = outputs.get("ApiUrl");
            if (apiUrl == null) {
                throw new IllegalStateException("the stack has no ApiUrl output (the base URL of the HTTP API); outputs: " + outputs);
            }
            URI apiUri = apiUri(URI.create(apiUrl), container.getHost(), container.getMappedPort(4566));
            E2eStack.Resources resources = new E2eStack.Resources(outputs.get("RunQueueUrl"), outputs.get("RunDeadLetterQueueUrl"),
                    outputs.get("RunStateMachineArn"), outputs.get("FramesTableName"), outputs.get("FencesTableName"));
            // Signed like a deployed stack's calls (its routes are AWS_IAM), with LocalStack's test credentials.
            E2eStack stack = E2eStack.of(container::stop, apiUri, new SigV4(credentials, region), endpoint, region, credentials,
                    resources, "LocalStack " + IMAGE + ": API " + apiUri + " (ApiUrl output " + apiUrl + "), AWS endpoint "
                            + endpoint + ", stack " + STACK_NAME + ", parameters " + E2eStack.parameterOverrides() + ", log " + log);
            Poll.until(API_READY_BOUND, "the API at " + apiUri + " answers (404 for an unknown run)",
                    () -> stack.api().get("/runs/run-parityprobe"), response -> response.status() == 404);
            warmUp(stack);
            System.out.printf("[e2e] started %s in %.1f s%n", stack, (System.nanoTime() - started) / 1e9);
            return stack;
        } catch (RuntimeException | Error e) {
            container.stop();
            throw e;
        }
    }

    /**
     * One echo run end to end before the scenarios, so that their time bounds do not include the
     * first starts of the gate, dispatch and finalize functions (and of LocalStack's runtime image).
     */
    private static void warmUp(E2eStack stack) {
        String runId = stack.api().startRun(Ids.thread("parity-warmup"), Api.echo("warm-up")).path("runId").asText();
        String status = stack.api().awaitTerminal(runId, API_READY_BOUND).path("status").asText();
        if (!status.equals("SUCCEEDED")) {
            throw new IllegalStateException("the warm-up echo run " + runId + " on LocalStack ended " + status + ": " + stack.api().run(runId));
        }
    }

    /**
     * The API's URL as LocalStack serves it: the API id of the {@code ApiUrl} output
     * ({@code https://<apiId>.execute-api.<region>.<suffix>}) on LocalStack's execute-api host name,
     * {@code http://<apiId>.execute-api.localhost.localstack.cloud:<port>} (a public name for 127.0.0.1),
     * which needs Docker's ports on this machine.
     */
    static URI apiUri(URI apiUrlOutput, String dockerHost, int port) {
        String host = Optional.ofNullable(apiUrlOutput.getHost()).orElse("");
        int at = host.indexOf(".execute-api.");
        if (at <= 0) {
            throw new IllegalStateException("the ApiUrl output " + apiUrlOutput + " is not an execute-api URL (<apiId>.execute-api.…)");
        }
        if (!Set.of("localhost", "127.0.0.1").contains(dockerHost.toLowerCase(Locale.ROOT))) {
            throw new IllegalStateException("Docker's ports are on " + dockerHost + ", not this machine: LocalStack's execute-api"
                    + " host name <apiId>.execute-api.localhost.localstack.cloud resolves to 127.0.0.1");
        }
        return URI.create("http://" + host.substring(0, at) + ".execute-api.localhost.localstack.cloud:" + port);
    }

    /** Uploads the artifacts, creates the stack, waits for it; returns its Outputs. */
    private static Map<String, String> deploy(Path root, URI endpoint, String region, AwsCredentialsProvider credentials) {
        try (S3Client s3 = E2eStack.configure(S3Client.builder().forcePathStyle(true), endpoint, region, credentials).build();
             CloudFormationClient cloudFormation = E2eStack.configure(CloudFormationClient.builder(), endpoint, region, credentials).build()) {
            s3.createBucket(r -> r.bucket(BUCKET));
            String template = packaged(root, read(root.resolve("template.yaml")), (key, file) ->
                    s3.putObject(r -> r.bucket(BUCKET).key(key), RequestBody.fromFile(file)));
            List<Parameter> parameters = E2eStack.parameterOverrides().entrySet().stream()
                    .map(p -> Parameter.builder().parameterKey(p.getKey()).parameterValue(p.getValue()).build())
                    .toList();
            cloudFormation.createStack(r -> r.stackName(STACK_NAME).templateBody(template).parameters(parameters)
                    .capabilities(Capability.CAPABILITY_IAM, Capability.CAPABILITY_NAMED_IAM, Capability.CAPABILITY_AUTO_EXPAND));
            Stack stack = Poll.until(DEPLOY_BOUND, "stack " + STACK_NAME + " is deployed",
                    () -> cloudFormation.describeStacks(r -> r.stackName(STACK_NAME)).stacks().get(0),
                    s -> !s.stackStatusAsString().endsWith("_IN_PROGRESS"));
            if (!DEPLOYED.contains(stack.stackStatus())) {
                String failures = cloudFormation.describeStackEvents(r -> r.stackName(STACK_NAME)).stackEvents().stream()
                        .filter(e -> e.resourceStatusAsString() != null && e.resourceStatusAsString().endsWith("_FAILED"))
                        .map(LocalStackStack::describe)
                        .collect(Collectors.joining("\n  "));
                throw new IllegalStateException("LocalStack did not deploy template.yaml: " + stack.stackStatusAsString()
                        + " (" + stack.stackStatusReason() + ")\n  " + failures);
            }
            Map<String, String> outputs = new LinkedHashMap<>();
            for (Output output : stack.outputs()) {
                outputs.put(output.outputKey(), output.outputValue());
            }
            return outputs;
        }
    }

    /** Where a template's local artifacts go: an S3 key and the file. */
    interface Upload {
        void put(String key, Path file);
    }

    /**
     * The template with every local {@code CodeUri} / {@code DefinitionUri} (a path relative to the
     * repository) uploaded and replaced by its {@code s3://} URI, as {@code sam package} does. Values
     * that are already S3 URIs, intrinsic functions or maps are left as they are.
     */
    static String packaged(Path root, String template, Upload upload) {
        Matcher artifact = LOCAL_ARTIFACT.matcher(template);
        StringBuilder out = new StringBuilder();
        Map<String, String> uploaded = new LinkedHashMap<>();
        while (artifact.find()) {
            String value = artifact.group(3);
            String replacement = artifact.group(0);
            if (!value.startsWith("s3://")) {
                Path file = root.resolve(value).normalize();
                if (!Files.isRegularFile(file)) {
                    throw new IllegalStateException(artifact.group(2) + " " + value + " is not a file under " + root
                            + " (a directory would have to be zipped, as sam build does)");
                }
                String key = root.relativize(file).toString().replace('\\', '/');
                uploaded.computeIfAbsent(key, k -> {
                    upload.put(k, file);
                    return "s3://" + BUCKET + "/" + k;
                });
                replacement = artifact.group(1) + artifact.group(2) + ": " + uploaded.get(key);
            }
            artifact.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        artifact.appendTail(out);
        return out.toString();
    }

    private static String describe(StackEvent event) {
        return event.logicalResourceId() + " (" + event.resourceType() + "): " + event.resourceStatusAsString() + " " + event.resourceStatusReason();
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static PrintWriter logFile(Path log) {
        try {
            Files.createDirectories(log.getParent());
            return new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
