package dev.runlane.functions;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.runs.Json;
import io.quarkus.amazon.lambda.runtime.AmazonLambdaMapperRecorder;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;
import software.amazon.awssdk.core.warmup.SdkWarmUp;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.io.IOException;
import java.util.Map;

/**
 * SnapStart priming: before Lambda snapshots a published version, it runs the request paths every
 * invocation takes (the SDK clients' marshalling, signing and unmarshalling through the SDK's own
 * {@link SdkWarmUp}, which answers from canned responses, and the event and response JSON), so that
 * their classes are loaded and initialised in the snapshot rather than on a restored sandbox's first
 * call. It creates nothing unique: no client, connection, credential, id or random seed outlives it;
 * {@link Components} creates those on first use, after the restore.
 */
@ApplicationScoped
public class SnapStartPriming implements Resource {
    private static final String HTTP_EVENT = """
            {"version":"2.0","routeKey":"GET /runs/{runId}","rawPath":"/runs/r","rawQueryString":"",
             "headers":{"content-type":"application/json"},"pathParameters":{"runId":"r"},
             "requestContext":{"http":{"method":"GET","path":"/runs/r"},"requestId":"prime"},
             "body":"{\\"target\\":\\"hosted\\"}","isBase64Encoded":false}""";
    private static final String SQS_EVENT = """
            {"Records":[{"messageId":"m","receiptHandle":"r","body":"{}","attributes":{"MessageGroupId":"t"},
             "eventSource":"aws:sqs"}]}""";

    /** Registers with the runtime's CRaC context during INIT (Quarkus starts the application then). */
    void register(@Observes StartupEvent started) {
        Core.getGlobalContext().register(this);
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) throws IOException {
        prime(AmazonLambdaMapperRecorder.objectMapper);
    }

    /** Runs the request paths, reading events and writing results with the runtime's own mapper. */
    void prime(ObjectMapper lambdaJson) throws IOException {
        SdkWarmUp.warmUp(DynamoDbClient.class, SqsClient.class, SfnClient.class);
        APIGatewayV2HTTPEvent request = lambdaJson.readValue(HTTP_EVENT, APIGatewayV2HTTPEvent.class);
        Json.MAPPER.readTree(request.getBody());
        lambdaJson.readValue(SQS_EVENT, SQSEvent.class);
        lambdaJson.writeValueAsString(APIGatewayV2HTTPResponse.builder().withStatusCode(200)
                .withHeaders(Map.of("content-type", "application/json")).withBody("{}").build());
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        // Nothing to renew: every client and random source is created after the restore.
    }
}
