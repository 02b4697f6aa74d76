package dev.runlane.localcloud.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.Repo;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolves the real template.yaml: what it declares is what the local cloud serves. */
class TemplateLoaderTest {
    private static final URI EDGE = URI.create("http://127.0.0.1:4566");

    private final Stack stack = TemplateLoader.load(Repo.template(), Map.of("AttemptTimeoutSeconds", "3"), EDGE);

    @Test
    void functionsGetGlobalsTheirOwnEnvironmentAndTheEdge() {
        Stack.Function api = function("ApiFunction");
        assertEquals("runlane-ApiFunction", api.name());
        assertEquals("arn:aws:lambda:us-east-1:123456789012:function:runlane-ApiFunction", api.arn());
        assertEquals("io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest", api.handler());
        assertEquals(Repo.root().resolve("functions/target/function.zip"), api.code());
        assertEquals(30, api.timeoutSeconds());
        assertEquals(1024, api.memoryMb());
        Map<String, String> env = api.environment();
        assertEquals("api", env.get("QUARKUS_LAMBDA_HANDLER"));
        assertEquals("runlane-RunsTable", env.get("RUNLANE_RUNS_TABLE"));
        assertEquals("http://127.0.0.1:4566/123456789012/runlane-RunQueue.fifo", env.get("RUNLANE_QUEUE_URL"));
        assertEquals("arn:aws:states:us-east-1:123456789012:stateMachine:runlane-RunStateMachine", env.get("RUNLANE_STATE_MACHINE_ARN"));
        assertEquals("30", env.get("RUNLANE_RETENTION_DAYS"));
        assertEquals(EDGE.toString(), env.get("AWS_ENDPOINT_URL"));
        assertEquals("us-east-1", env.get("AWS_REGION"));
        assertEquals(3, function("HostedDispatchFunction").timeoutSeconds(), "the hosted function's timeout is the attempt's (overridden: 3)");
        assertEquals("300", function("GateFunction").environment().get("RUNLANE_HOLD_SECONDS"));
        assertTrue(stack.functions().stream().map(Stack.Function::logicalId).collect(Collectors.toSet()).containsAll(
                Set.of("ApiFunction", "GateFunction", "HostedDispatchFunction", "DesktopDispatchFunction", "FinalizeFunction", "ReaperFunction")));
    }

    @Test
    void routesComeFromHttpApiEvents() {
        Map<String, String> functionByRoute = stack.routes().stream()
                .collect(Collectors.toMap(Stack.Route::routeKey, Stack.Route::functionName));
        for (String route : Set.of("POST /threads/{threadId}/runs", "GET /threads/{threadId}/runs", "GET /runs/{runId}",
                "GET /runs/{runId}/events", "POST /runs/{runId}/cancel")) {
            assertEquals("runlane-ApiFunction", functionByRoute.get(route), route);
        }
    }

    @Test
    void queuesAreFifoWithRedriveToTheDeadLetterQueue() throws IOException {
        Stack.Queue queue = queue("RunQueue");
        assertEquals("runlane-RunQueue.fifo", queue.name());
        assertEquals("true", queue.attributes().get("FifoQueue"));
        assertEquals("180", queue.attributes().get("VisibilityTimeout"));
        assertFalse(queue.attributes().containsKey("SqsManagedSseEnabled"));
        JsonNode redrive = new ObjectMapper().readTree(queue.attributes().get("RedrivePolicy"));
        assertEquals("arn:aws:sqs:us-east-1:123456789012:runlane-RunDeadLetterQueue.fifo", redrive.get("deadLetterTargetArn").asText());
        assertEquals(1000, redrive.get("maxReceiveCount").asInt());
    }

    @Test
    void eventSourcesAndRulesComeFromFunctionEvents() {
        Stack.SqsEventSource gate = stack.sqsEventSources().get(0);
        assertEquals(1, stack.sqsEventSources().size());
        assertEquals("runlane-GateFunction", gate.functionName());
        assertEquals("runlane-RunQueue.fifo", gate.queue().name());
        assertEquals(1, gate.batchSize());
        assertTrue(gate.reportBatchItemFailures());

        Stack.StatusChangeRule reaper = stack.rules().get(0);
        assertEquals(1, stack.rules().size());
        assertEquals("runlane-ReaperFunction", reaper.functionName());
        assertEquals("arn:aws:states:us-east-1:123456789012:stateMachine:runlane-RunStateMachine",
                reaper.pattern().at("/detail/stateMachineArn/0").asText());
        assertEquals("ABORTED", reaper.pattern().at("/detail/status/2").asText());
    }

    @Test
    void concurrencyIsReservedForWhatMovesRunsAndTheStageIsThrottled() {
        assertEquals(10, function("GateFunction").reservedConcurrency());
        assertEquals(10, stack.sqsEventSources().get(0).maximumConcurrency(), "the event source never invokes past the reservation");
        assertEquals(100, function("HostedDispatchFunction").reservedConcurrency());
        for (String recorder : Set.of("DesktopDispatchFunction", "FinalizeFunction", "ReaperFunction")) {
            assertEquals(10, function(recorder).reservedConcurrency(), recorder);
        }
        assertEquals(null, function("ApiFunction").reservedConcurrency(), "the API shares the account's pool, never theirs");
        assertEquals(new Stack.ApiThrottle(500, 1000), stack.apiThrottle());

        Stack none = TemplateLoader.load(Repo.template(), Map.of("GateConcurrency", "0", "RecordConcurrency", "0"), EDGE);
        assertEquals(null, none.functions().stream().filter(f -> f.logicalId().equals("GateFunction")).findFirst()
                .orElseThrow().reservedConcurrency(), "0 reserves none");
        assertEquals(0, none.sqsEventSources().get(0).maximumConcurrency(), "and leaves the event source unbounded");
    }

    @Test
    void stateMachineDefinitionHasSubstitutionsAndAliasArns() throws IOException {
        Stack.StateMachine machine = stack.stateMachines().get(0);
        assertFalse(machine.definition().contains("${"), machine.definition());
        JsonNode asl = new ObjectMapper().readTree(machine.definition());
        JsonNode hosted = asl.at("/States/Run hosted agent");
        assertEquals(3, hosted.get("TimeoutSeconds").asInt());
        assertEquals("arn:aws:lambda:us-east-1:123456789012:function:runlane-HostedDispatchFunction:live",
                hosted.at("/Parameters/FunctionName").asText());
        assertEquals(172800, asl.get("TimeoutSeconds").asInt());
        JsonNode throttled = hosted.at("/Retry/1");
        assertEquals("Lambda.TooManyRequestsException", throttled.at("/ErrorEquals/0").asText(),
                "a throttle (its reserved concurrency reached) is retried apart, not against HostedRetryMaxAttempts");
        assertEquals(15, throttled.get("MaxAttempts").asInt());
    }

    @Test
    void tablesKeepKeysIndexesAndTtl() {
        Stack.Table runs = stack.tables().stream().filter(t -> t.logicalId().equals("RunsTable")).findFirst().orElseThrow();
        assertEquals("runlane-RunsTable", runs.name());
        assertTrue(String.valueOf(runs.properties().get("GlobalSecondaryIndexes")).contains("ByThread"));
        assertTrue(stack.tables().stream().map(Stack.Table::name).toList().containsAll(
                Set.of("runlane-RunsTable", "runlane-FencesTable", "runlane-RunEventsTable", "runlane-FramesTable")));
    }

    @Test
    void parameterConstraintsAreEnforced() {
        TemplateException above = assertThrows(TemplateException.class,
                () -> TemplateLoader.load(Repo.template(), Map.of("AttemptTimeoutSeconds", "901"), EDGE));
        assertTrue(above.getMessage().contains("AttemptTimeoutSeconds=901: above MaxValue 900"), above.getMessage());
        TemplateException unknown = assertThrows(TemplateException.class,
                () -> TemplateLoader.load(Repo.template(), Map.of("Nope", "1"), EDGE));
        assertTrue(unknown.getMessage().contains("Nope"), unknown.getMessage());
        assertEquals(Map.of("A", "1", "B", "x y", "C", "3"),
                Parameters.parseOverrides("A=1 B='x y' ParameterKey=C,ParameterValue=3"));
    }

    @Test
    void unknownResourceTypeOrPropertyIsNamed(@TempDir Path dir) throws IOException {
        Path template = dir.resolve("template.yaml");
        Files.writeString(template, """
                Resources:
                  Topic:
                    Type: AWS::SNS::Topic
                """);
        TemplateException type = assertThrows(TemplateException.class, () -> TemplateLoader.load(template, Map.of(), EDGE));
        assertTrue(type.getMessage().contains("resource Topic (AWS::SNS::Topic)"), type.getMessage());

        Files.writeString(template, """
                Resources:
                  Q:
                    Type: AWS::SQS::Queue
                    Properties:
                      Colour: blue
                """);
        TemplateException property = assertThrows(TemplateException.class, () -> TemplateLoader.load(template, Map.of(), EDGE));
        assertTrue(property.getMessage().contains("resource Q (AWS::SQS::Queue): property Colour"), property.getMessage());
    }

    @Test
    void intrinsicsAndAnchorsResolve(@TempDir Path dir) throws IOException {
        Path template = dir.resolve("template.yaml");
        Files.writeString(template, """
                Parameters:
                  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
                Conditions:
                  IsProd: !Equals [!Ref Env, prod]
                Resources:
                  Q:
                    Type: AWS::SQS::Queue
                    Properties:
                      QueueName: !Sub "${AWS::StackName}-${Env}-q"
                      DelaySeconds: !If [IsProd, 5, 0]
                      RedriveAllowPolicy: &policy {redrivePermission: allowAll}
                  P:
                    Type: AWS::SQS::Queue
                    Properties:
                      QueueName: !Join ["-", [p, !GetAtt Q.QueueName]]
                      RedriveAllowPolicy: *policy
                """);
        Stack local = TemplateLoader.load(template, Map.of(), EDGE);
        assertEquals("runlane-dev-q", local.queues().get(0).name());
        assertEquals("0", local.queues().get(0).attributes().get("DelaySeconds"));
        assertEquals("p-runlane-dev-q", local.queues().get(1).name());
        assertEquals("{\"redrivePermission\":\"allowAll\"}", local.queues().get(1).attributes().get("RedriveAllowPolicy"));
        assertThrows(TemplateException.class, () -> TemplateLoader.load(template, Map.of("Env", "qa"), EDGE));
    }

    private Stack.Function function(String logicalId) {
        return stack.functions().stream().filter(f -> f.logicalId().equals(logicalId)).findFirst().orElseThrow();
    }

    private Stack.Queue queue(String logicalId) {
        return stack.queues().stream().filter(q -> q.logicalId().equals(logicalId)).findFirst().orElseThrow();
    }
}
