package dev.runlane.localcloud;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import dev.runlane.localcloud.template.Stack;

/** SDK clients for the local cloud's own calls (provisioning, pollers), pointed at one endpoint. */
public final class AwsClients {
    private AwsClients() {}

    public static DynamoDbClient dynamoDb(URI endpoint) {
        return configure(DynamoDbClient.builder(), endpoint).httpClient(http(Duration.ofSeconds(30))).build();
    }

    /** Read timeout above the 20 s long poll. */
    public static SqsClient sqs(URI endpoint) {
        return configure(SqsClient.builder(), endpoint).httpClient(http(Duration.ofSeconds(30))).build();
    }

    public static SfnClient sfn(URI endpoint) {
        return configure(SfnClient.builder(), endpoint).httpClient(http(Duration.ofSeconds(30))).build();
    }

    private static software.amazon.awssdk.http.SdkHttpClient http(Duration readTimeout) {
        return UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5)).socketTimeout(readTimeout).build();
    }

    private static <B extends AwsClientBuilder<B, ?>> B configure(B builder, URI endpoint) {
        return builder.endpointOverride(endpoint)
                .region(Region.of(Stack.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")));
    }
}
