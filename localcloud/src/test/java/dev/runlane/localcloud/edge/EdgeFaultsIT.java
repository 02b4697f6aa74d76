package dev.runlane.localcloud.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.Await;
import dev.runlane.localcloud.Repo;
import dev.runlane.localcloud.faults.Fault;
import dev.runlane.localcloud.faults.FaultKind;
import dev.runlane.localcloud.faults.Faults;
import dev.runlane.localcloud.lambda.FixtureFunction;
import dev.runlane.localcloud.lambda.LambdaService;
import dev.runlane.localcloud.moto.MotoServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionLimitExceededException;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.ReceiptHandleIsInvalidException;

/** Fault injection at the edge, against real moto and real sandboxes: each fault as an AWS SDK or moto sees it. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EdgeFaultsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ECHO_ARN = "arn:aws:lambda:us-east-1:123456789012:function:Echo";
    private static final String TABLE = "faults-test";

    @TempDir
    static Path dir;
    static LambdaService lambdas;
    static Faults faults;
    static Edge edge;
    static MotoServer moto;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        lambdas = new LambdaService(dir.resolve("work"), 2);
        faults = lambdas.faults();
        Path zip = FixtureFunction.build(dir.resolve("fixture"));
        lambdas.register(FixtureFunction.spec(zip, "Echo", 10, Map.of()));
        int motoPort = freePort();
        edge = new Edge(0, lambdas, URI.create("http://127.0.0.1:" + motoPort));
        edge.start();
        // writes to DynamoDB through the edge; its INIT writes one item too, which no invocation may count
        lambdas.register(FixtureFunction.spec(zip, "Writer", 10,
                Map.of("AWS_ENDPOINT_URL", edge.uri().toString(), "FIXTURE_INIT_PUT", TABLE + ":init")));
        moto = MotoServer.start(Repo.root().resolve("tools/moto/runlane_moto.py"), motoPort, edge.uri().getPort(), dir.resolve("moto.log"));
        try (DynamoDbClient dynamo = client(DynamoDbClient.builder())) {
            dynamo.createTable(b -> b.tableName(TABLE).billingMode(BillingMode.PAY_PER_REQUEST)
                    .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH))
                    .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S)));
        }
    }

    @AfterAll
    static void stop() {
        if (moto != null) {
            moto.close();
        }
        lambdas.close();
        edge.close();
    }

    @AfterEach
    void clearFaults() {
        faults.clear();
    }

    /** An SDK client on the edge that does not retry, so that each call is one request. */
    private static <C, B extends AwsClientBuilder<B, C>> C client(B builder) {
        return builder.endpointOverride(edge.uri()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
    }

    @Test
    void throttleAndSnapStartAnswerTheInvokeApiAsLambdaDoes() throws Exception {
        faults.add(Fault.throttle("Echo", 1));
        faults.add(Fault.snapStartNotReady("Echo", 1));
        faults.add(Fault.snapStartTimeout(ECHO_ARN + ":live", 1));
        HttpResponse<String> throttled = invoke("hi");
        assertEquals(429, throttled.statusCode());
        assertEquals("TooManyRequestsException", throttled.headers().firstValue("x-amzn-ErrorType").orElseThrow());
        assertEquals(JSON.readTree("{\"Type\":\"User\",\"message\":\"Rate Exceeded.\",\"__type\":\"TooManyRequestsException\"}"),
                JSON.readTree(throttled.body()));
        HttpResponse<String> notReady = invoke("hi");
        assertEquals(409, notReady.statusCode());
        assertEquals("SnapStartNotReadyException", notReady.headers().firstValue("x-amzn-ErrorType").orElseThrow());
        assertTrue(JSON.readTree(notReady.body()).has("Message"), notReady.body());
        HttpResponse<String> timedOut = invoke("hi");
        assertEquals(408, timedOut.statusCode());
        assertEquals("SnapStartTimeoutException", timedOut.headers().firstValue("x-amzn-ErrorType").orElseThrow());
        assertEquals(200, invoke("hi").statusCode());
    }

    @Test
    void killAnswersTheInvokeApiWithAnUnhandledRuntimeExitError() throws Exception {
        faults.add(Fault.kill("Echo", 1));
        HttpResponse<String> crashed = invoke("sleep:20000");
        assertEquals(200, crashed.statusCode());
        assertEquals("Unhandled", crashed.headers().firstValue("X-Amz-Function-Error").orElseThrow());
        JsonNode error = JSON.readTree(crashed.body());
        assertEquals("Runtime.ExitError", error.get("errorType").asText());
        assertTrue(error.get("errorMessage").asText().endsWith("Error: Runtime exited with error: signal: killed"), crashed.body());
    }

    @Test
    void theInvocationsEndpointListsEachInvocationsAwsCallsInOrderButNotInits() throws Exception {
        HttpResponse<String> done = invoke("Writer", "put:" + TABLE + ":n1,n2,n3");
        assertEquals(200, done.statusCode());
        assertTrue(done.headers().firstValue("X-Amz-Function-Error").isEmpty(), done.body());
        try (DynamoDbClient dynamo = client(DynamoDbClient.builder())) {
            assertTrue(exists(dynamo, "init"), "INIT's call went through the edge");
            assertTrue(exists(dynamo, "n3"));
        }
        JsonNode invocation = lastInvocation("Writer");
        assertEquals(JSON.readTree(done.body()).get("requestId").asText(), invocation.get("requestId").asText());
        assertEquals(List.of("dynamodb:PutItem", "dynamodb:PutItem", "dynamodb:PutItem"), calls(invocation),
                "the three calls of the invocation, not INIT's nor this test's own");
        assertEquals(3, invocation.get("callCount").asInt());
        assertEquals("succeeded", invocation.get("state").asText());

        invoke("Writer", "put:" + TABLE + ":n4");
        JsonNode two = JSON.readTree(invocations("function=Writer&last=2").body()).get("invocations");
        assertEquals(List.of(3, 1), List.of(two.get(0).get("callCount").asInt(), two.get(1).get("callCount").asInt()), "oldest first");
        assertEquals(404, invocations("function=Nope").statusCode());
        assertEquals(400, invocations("last=2").statusCode());
        assertEquals(400, invocations("function=Writer&last=0").statusCode());
    }

    @Test
    void aCrashBeforeTheSecondAwsCallKeepsItFromMotoAndCrashesTheInvocation() throws Exception {
        HttpResponse<String> armed = admin("POST", "", "{\"kind\":\"crash\",\"function\":\"Writer\",\"call\":2,\"when\":\"before\"}");
        assertEquals(201, armed.statusCode(), armed.body());
        assertCrashed(invoke("Writer", "put:" + TABLE + ":b1,b2,b3"));
        try (DynamoDbClient dynamo = client(DynamoDbClient.builder())) {
            assertTrue(exists(dynamo, "b1"));
            assertFalse(exists(dynamo, "b2"), "the second call never reached moto");
            assertFalse(exists(dynamo, "b3"));
        }
        JsonNode invocation = lastInvocation("Writer");
        assertEquals(List.of("dynamodb:PutItem", "dynamodb:PutItem"), calls(invocation));
        assertEquals(List.of("failed", "Runtime.ExitError"), List.of(invocation.get("state").asText(), invocation.get("errorType").asText()));
        assertEquals(1, faults.fired(FaultKind.CRASH));
    }

    @Test
    void aCrashAfterTheSecondAwsCallLetsMotoApplyItButCrashesTheInvocation() throws Exception {
        faults.add(Fault.crashAfter("Writer", 1, 2));
        assertCrashed(invoke("Writer", "put:" + TABLE + ":a1,a2,a3"));
        try (DynamoDbClient dynamo = client(DynamoDbClient.builder())) {
            assertTrue(exists(dynamo, "a1"));
            assertTrue(exists(dynamo, "a2"), "the second call was applied before the crash");
            assertFalse(exists(dynamo, "a3"), "the sandbox never got the answer to go on");
        }
        assertEquals(List.of("dynamodb:PutItem", "dynamodb:PutItem"), calls(lastInvocation("Writer")));

        HttpResponse<String> next = http.send(HttpRequest.newBuilder(edge.uri().resolve("/2015-03-31/functions/Writer/invocations"))
                .header("X-Amz-Log-Type", "Tail").POST(HttpRequest.BodyPublishers.ofString("put:" + TABLE + ":a4")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(next.headers().firstValue("X-Amz-Function-Error").isEmpty(), next.body());
        String log = new String(Base64.getDecoder().decode(next.headers().firstValue("X-Amz-Log-Result").orElseThrow()), StandardCharsets.UTF_8);
        assertFalse(log.contains("Init Duration"), "the crashed sandbox's replacement was started at once: " + log);
    }

    /** Exactly what a crashed Lambda answers, as the kill fault does. */
    private static void assertCrashed(HttpResponse<String> response) throws IOException {
        assertEquals(200, response.statusCode());
        assertEquals("Unhandled", response.headers().firstValue("X-Amz-Function-Error").orElseThrow(), response.body());
        JsonNode error = JSON.readTree(response.body());
        assertEquals("Runtime.ExitError", error.get("errorType").asText());
        assertTrue(error.get("errorMessage").asText().endsWith("Error: Runtime exited with error: signal: killed"), response.body());
    }

    private static boolean exists(DynamoDbClient dynamo, String id) {
        return dynamo.getItem(b -> b.tableName(TABLE).key(key(id)).consistentRead(true)).hasItem();
    }

    private static JsonNode lastInvocation(String function) throws Exception {
        HttpResponse<String> response = invocations("function=" + function + "&last=1");
        assertEquals(200, response.statusCode(), response.body());
        JsonNode invocations = JSON.readTree(response.body()).get("invocations");
        assertEquals(1, invocations.size(), response.body());
        return invocations.get(0);
    }

    private static List<String> calls(JsonNode invocation) {
        List<String> calls = new java.util.ArrayList<>();
        invocation.get("calls").forEach(call -> calls.add(call.asText()));
        return calls;
    }

    private static HttpResponse<String> invocations(String query) throws Exception {
        return http.send(HttpRequest.newBuilder(edge.uri().resolve("/_runlane/invocations?" + query)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void stepFunctionsSeeInjectedLambdaErrorsAsLambdaTaskErrors() {
        String definition = """
                {"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
                 "Parameters":{"FunctionName":"%s","Payload":{}},"End":true}}}""".formatted(ECHO_ARN);
        try (SfnClient sfn = client(SfnClient.builder())) {
            String machine = sfn.createStateMachine(b -> b.name("faults-test").definition(definition)
                    .roleArn("arn:aws:iam::123456789012:role/faults-test")).stateMachineArn();
            faults.add(Fault.throttle("Echo", 1));
            assertEquals("Lambda.TooManyRequestsException", failedExecution(sfn, machine).error());
            faults.add(Fault.snapStartNotReady("Echo", 1));
            assertEquals("Lambda.SnapStartNotReadyException", failedExecution(sfn, machine).error());
        }
    }

    private static DescribeExecutionResponse failedExecution(SfnClient sfn, String machine) {
        String execution = sfn.startExecution(b -> b.stateMachineArn(machine).name(UUID.randomUUID().toString())).executionArn(); // moto names unnamed ones "None"
        Await.until("the execution to end", Duration.ofSeconds(30),
                () -> sfn.describeExecution(b -> b.executionArn(execution)).status() != ExecutionStatus.RUNNING);
        DescribeExecutionResponse ended = sfn.describeExecution(b -> b.executionArn(execution));
        assertEquals(ExecutionStatus.FAILED, ended.status(), ended.toString());
        return ended;
    }

    @Test
    void aTransactionFaultIsTheSdksTransactionCanceledExceptionUntilItsCountIsUsedUp() {
        faults.add(Fault.awsError("dynamodb:TransactWriteItems", 2, "TransactionConflict"));
        try (DynamoDbClient dynamo = client(DynamoDbClient.builder())) {
            for (int call = 1; call <= 2; call++) {
                var e = assertThrows(TransactionCanceledException.class, () -> writeTwo(dynamo));
                assertEquals(List.of("TransactionConflict", "None"), e.cancellationReasons().stream().map(CancellationReason::code).toList());
                assertEquals("Transaction is ongoing for the item", e.cancellationReasons().getFirst().message());
                assertTrue(e.getMessage().startsWith(
                        "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]"), e.getMessage());
                assertFalse(dynamo.getItem(b -> b.tableName(TABLE).key(key("t1")).consistentRead(true)).hasItem(), "nothing reached moto");
            }
            writeTwo(dynamo);
            assertTrue(dynamo.getItem(b -> b.tableName(TABLE).key(key("t1")).consistentRead(true)).hasItem(), "the third call reached moto");
        }
        assertEquals(2, faults.fired(FaultKind.AWS_ERROR));
    }

    private static void writeTwo(DynamoDbClient dynamo) {
        dynamo.transactWriteItems(b -> b.transactItems(
                TransactWriteItem.builder().put(p -> p.tableName(TABLE).item(key("t1"))).build(),
                TransactWriteItem.builder().put(p -> p.tableName(TABLE).item(key("t2"))).build()));
    }

    private static Map<String, AttributeValue> key(String id) {
        return Map.of("id", AttributeValue.fromS(id));
    }

    @Test
    void dynamoDbErrorsMapToTheSdksExceptionsAndThrottlingIsRetriedByTheSdk() {
        faults.add(Fault.awsError("dynamodb:UpdateItem", 1, "ProvisionedThroughputExceededException"));
        faults.add(Fault.awsError("dynamodb:UpdateItem", 1, "ThrottlingException"));
        try (DynamoDbClient dynamo = client(DynamoDbClient.builder())) {
            assertThrows(ProvisionedThroughputExceededException.class, () -> update(dynamo));
            var throttling = assertThrows(AwsServiceException.class, () -> update(dynamo));
            assertEquals("ThrottlingException", throttling.awsErrorDetails().errorCode());
            assertTrue(throttling.isThrottlingException());
            update(dynamo);
        }
        faults.add(Fault.awsError("dynamodb:UpdateItem", 2, "ThrottlingException"));
        try (DynamoDbClient retrying = DynamoDbClient.builder().endpointOverride(edge.uri()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build()) {
            update(retrying);
        }
        assertEquals(4, faults.fired(FaultKind.AWS_ERROR), "the SDK's own retries got through the two throttles");
    }

    private static void update(DynamoDbClient dynamo) {
        dynamo.updateItem(b -> b.tableName(TABLE).key(key("counter")).updateExpression("ADD n :one")
                .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1"))));
    }

    @Test
    void sqsAndStepFunctionsErrorsMapToTheSdksExceptions() {
        try (SqsClient sqs = client(SqsClient.builder()); SfnClient sfn = client(SfnClient.builder())) {
            String queue = sqs.createQueue(b -> b.queueName("faults-test")).queueUrl();
            faults.add(Fault.awsError("sqs:ChangeMessageVisibility", 1, "ReceiptHandleIsInvalid"));
            var invalid = assertThrows(ReceiptHandleIsInvalidException.class,
                    () -> sqs.changeMessageVisibility(b -> b.queueUrl(queue).receiptHandle("x").visibilityTimeout(0)));
            assertEquals("ReceiptHandleIsInvalid", invalid.awsErrorDetails().errorCode());
            faults.add(Fault.awsError("states:StartExecution", 1, "ExecutionLimitExceeded").withMessage("too many"));
            var limited = assertThrows(ExecutionLimitExceededException.class,
                    () -> sfn.startExecution(b -> b.stateMachineArn("arn:aws:states:us-east-1:123456789012:stateMachine:none")));
            assertEquals("too many", limited.awsErrorDetails().errorMessage());
        }
    }

    @Test
    void aQueryProtocolCallGetsAnXmlError() throws Exception {
        faults.add(Fault.awsError("sqs:GetQueueUrl", 1, "AWS.SimpleQueueService.NonExistentQueue"));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(edge.uri().resolve("/"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString("Action=GetQueueUrl&QueueName=nope&Version=2012-11-05")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, response.statusCode());
        assertTrue(response.body().contains("<Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>"), response.body());
    }

    @Test
    void theAdminApiAddsListsAndDeletesFaults() throws Exception {
        HttpResponse<String> added = admin("POST", "", """
                {"faults":[{"kind":"delay","function":"Echo","delayMs":15000},
                           {"kind":"awsError","action":"dynamodb:PutItem","code":"ThrottlingException","count":3}]}""");
        assertEquals(201, added.statusCode(), added.body());
        JsonNode stored = JSON.readTree(added.body()).get("faults");
        assertEquals(2, stored.size());
        assertEquals("delay", stored.get(0).get("kind").asText());
        assertEquals(15000, stored.get(0).get("delayMs").asLong());
        assertEquals(3, stored.get(1).get("remaining").asInt());
        String delayId = stored.get(0).get("id").asText();

        HttpResponse<String> one = admin("POST", "", "{\"kind\":\"throttle\",\"function\":\"Echo\"}");
        assertEquals(201, one.statusCode(), one.body());
        assertEquals(429, invoke("hi").statusCode(), "the throttle posted here fires");
        JsonNode listing = JSON.readTree(admin("GET", "", null).body());
        assertEquals(List.of("delay", "awsError", "throttle"), listing.get("faults").findValuesAsText("kind"));
        JsonNode throttle = listing.get("faults").get(2);
        assertEquals(List.of(0, 1), List.of(throttle.get("remaining").asInt(), throttle.get("fired").asInt()), "used up, still listed");
        assertEquals(1, listing.get("fired").get("throttle").asInt());
        assertEquals(0, listing.get("fired").get("kill").asInt());

        assertEquals(204, admin("DELETE", "/" + delayId, null).statusCode());
        assertEquals(404, admin("DELETE", "/" + delayId, null).statusCode());
        assertEquals(2, JSON.readTree(admin("GET", "", null).body()).get("faults").size());
        assertEquals(204, admin("DELETE", "", null).statusCode());
        JsonNode cleared = JSON.readTree(admin("GET", "", null).body());
        assertEquals(0, cleared.get("faults").size());
        assertEquals(0, cleared.get("fired").get("throttle").asInt());
    }

    @Test
    void theAdminApiRejectsBadInputWithAReason() throws Exception {
        assertAdminError(400, "POST", "{\"kind\":\"delay\",\"function\":\"Echo\"}", "delay needs delayMs above 0");
        assertAdminError(400, "POST", "{\"kind\":\"throttle\",\"fn\":\"Echo\"}", "throttle does not take 'fn'");
        assertAdminError(400, "POST", "not json", "not JSON");
        assertAdminError(400, "POST", "", "expected a fault object");
        assertAdminError(405, "PUT", "{}", "use GET, POST or DELETE");
        assertEquals(List.of(), faults.active(), "nothing was armed");
    }

    private void assertAdminError(int status, String method, String body, String reason) throws Exception {
        HttpResponse<String> response = admin(method, "", body);
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
        String message = JSON.readTree(response.body()).get("message").asText();
        assertTrue(message.contains(reason), message);
        assertFalse(response.body().contains("\tat ") || response.body().contains("Exception:"), "no stack trace: " + response.body());
    }

    private static HttpResponse<String> admin(String method, String path, String body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return http.send(HttpRequest.newBuilder(edge.uri().resolve("/_runlane/faults" + path)).method(method, publisher).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> invoke(String payload) throws Exception {
        return invoke("Echo", payload);
    }

    private static HttpResponse<String> invoke(String function, String payload) throws Exception {
        return http.send(HttpRequest.newBuilder(edge.uri().resolve("/2015-03-31/functions/" + function + "/invocations"))
                .POST(HttpRequest.BodyPublishers.ofString(payload)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
