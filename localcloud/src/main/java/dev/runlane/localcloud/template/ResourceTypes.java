package dev.runlane.localcloud.template;

import java.util.Map;
import java.util.Set;

/**
 * The resource types the local cloud serves, with the properties it honours and the ones it
 * deliberately ignores because they have no local meaning (IAM, encryption, tracing, logging,
 * backups). Any other property is refused with an error naming it.
 */
final class ResourceTypes {
    static final String TABLE = "AWS::DynamoDB::Table";
    static final String QUEUE = "AWS::SQS::Queue";
    static final String STATE_MACHINE = "AWS::Serverless::StateMachine";
    static final String FUNCTION = "AWS::Serverless::Function";
    static final String HTTP_API = "AWS::Serverless::HttpApi";
    static final String LOG_GROUP = "AWS::Logs::LogGroup";

    record Properties(Set<String> served, Set<String> ignored) {}

    static final Map<String, Properties> TYPES = Map.of(
            TABLE, new Properties(
                    Set.of("TableName", "BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
                            "LocalSecondaryIndexes", "ProvisionedThroughput", "TimeToLiveSpecification"),
                    Set.of("PointInTimeRecoverySpecification", "SSESpecification", "Tags", "DeletionProtectionEnabled",
                            "ContributorInsightsSpecification", "TableClass", "ResourcePolicy", "WarmThroughput",
                            "OnDemandThroughput")),
            QUEUE, new Properties(
                    Set.of("QueueName", "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
                            "VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize",
                            "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "RedriveAllowPolicy"),
                    Set.of("SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "Tags")),
            STATE_MACHINE, new Properties(
                    Set.of("Name", "Type", "Definition", "DefinitionUri", "DefinitionSubstitutions"),
                    Set.of("Logging", "Tracing", "Policies", "Role", "RolePath", "PermissionsBoundary", "Tags", "PropagateTags")),
            FUNCTION, new Properties(
                    Set.of("FunctionName", "CodeUri", "Handler", "Runtime", "Timeout", "MemorySize", "Environment", "Events",
                            "AutoPublishAlias", "ReservedConcurrentExecutions"),
                    Set.of("Description", "Architectures", "Tracing", "SnapStart", "Policies", "Role", "RolePath",
                            "PermissionsBoundary", "Tags", "PropagateTags",
                            "ProvisionedConcurrencyConfig", "LoggingConfig", "DeploymentPreference", "VpcConfig", "KmsKeyArn",
                            "RuntimeManagementConfig", "EphemeralStorage", "AutoPublishCodeSha256", "VersionDescription")),
            HTTP_API, new Properties(
                    Set.of("DefaultRouteSettings"),
                    Set.of("Description", "Auth", "AccessLogSettings", "StageName", "Tags", "RouteSettings",
                            "FailOnWarnings", "DisableExecuteApiEndpoint", "StageVariables", "Name", "PropagateTags")),
            LOG_GROUP, new Properties(
                    Set.of("LogGroupName"),
                    Set.of("RetentionInDays", "KmsKeyId", "Tags", "DataProtectionPolicy", "LogGroupClass")));

    /** Function event sources, keyed by event Type. */
    static final Map<String, Properties> EVENTS = Map.of(
            "HttpApi", new Properties(Set.of("ApiId", "Method", "Path", "PayloadFormatVersion", "TimeoutInMillis"),
                    Set.of("Auth", "RouteSettings")),
            "SQS", new Properties(Set.of("Queue", "BatchSize", "FunctionResponseTypes", "Enabled", "ScalingConfig"),
                    Set.of("MaximumBatchingWindowInSeconds", "KmsKeyArn", "MetricsConfig")),
            "EventBridgeRule", new Properties(Set.of("Pattern", "EventBusName", "State"),
                    Set.of("RetryPolicy", "DeadLetterConfig", "RuleName", "Target")));

    static final Set<String> RESOURCE_ATTRIBUTES =
            Set.of("Type", "Properties", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata");

    private ResourceTypes() {}

    static void check(String where, String type, Map<String, Properties> known, Map<String, Object> properties) {
        Properties allowed = known.get(type);
        for (String property : properties.keySet()) {
            if (!allowed.served().contains(property) && !allowed.ignored().contains(property)) {
                throw new TemplateException(where + ": property " + property + " is not supported by the local cloud");
            }
        }
    }
}
