package dev.runlane.functions;

import dev.runlane.agent.Agents;
import dev.runlane.aws.DynamoDaemons;
import dev.runlane.aws.DynamoFence;
import dev.runlane.aws.DynamoFrames;
import dev.runlane.aws.DynamoPollSlots;
import dev.runlane.aws.DynamoRunStore;
import dev.runlane.aws.DynamoThreads;
import dev.runlane.aws.SqsThreadQueue;
import dev.runlane.aws.StepFunctionsWorkflow;
import dev.runlane.desktop.DaemonService;
import dev.runlane.dispatch.Dispatcher;
import dev.runlane.domain.Daemons;
import dev.runlane.domain.Fence;
import dev.runlane.domain.Frames;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.ThreadQueue;
import dev.runlane.domain.Threads;
import dev.runlane.domain.Workflow;
import dev.runlane.gate.Gate;
import dev.runlane.runs.Cancellation;
import dev.runlane.runs.Finalizer;
import dev.runlane.runs.LongPollCap;
import dev.runlane.runs.RunService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.time.Clock;

/**
 * Wires the domain to its AWS adapters. Everything is created on first use, after a SnapStart
 * restore, never in the snapshot. Clients take region, credentials and endpoint (AWS_ENDPOINT_URL)
 * from the environment.
 */
@ApplicationScoped
public class Components {

    @Produces
    @ApplicationScoped
    DynamoDbClient dynamoDb() {
        return DynamoDbClient.builder().httpClient(UrlConnectionHttpClient.create()).build();
    }

    @Produces
    @ApplicationScoped
    SqsClient sqs() {
        return SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).build();
    }

    @Produces
    @ApplicationScoped
    SfnClient stepFunctions() {
        return SfnClient.builder().httpClient(UrlConnectionHttpClient.create()).build();
    }

    @Produces
    @ApplicationScoped
    RunStore runStore(DynamoDbClient dynamo, FunctionSettings settings) {
        return new DynamoRunStore(dynamo, settings);
    }

    @Produces
    @ApplicationScoped
    Fence fence(DynamoDbClient dynamo, FunctionSettings settings) {
        return new DynamoFence(dynamo, settings);
    }

    @Produces
    @ApplicationScoped
    Frames frames(DynamoDbClient dynamo, FunctionSettings settings) {
        return new DynamoFrames(dynamo, settings);
    }

    @Produces
    @ApplicationScoped
    Daemons daemons(DynamoDbClient dynamo, FunctionSettings settings) {
        return new DynamoDaemons(dynamo, settings);
    }

    @Produces
    @ApplicationScoped
    ThreadQueue threadQueue(SqsClient sqs, FunctionSettings settings) {
        return new SqsThreadQueue(sqs, settings.queueUrl(), settings.deadLetterQueueUrl().orElse(null));
    }

    @Produces
    @ApplicationScoped
    Workflow workflow(SfnClient sfn, FunctionSettings settings) {
        return new StepFunctionsWorkflow(sfn, settings.stateMachineArn().orElse(null));
    }

    @Produces
    @ApplicationScoped
    Finalizer finalizer(RunStore runs, Fence fence, ThreadQueue queue) {
        return new Finalizer(runs, fence, queue, Clock.systemUTC());
    }

    @Produces
    @ApplicationScoped
    Threads threads(DynamoDbClient dynamo, FunctionSettings settings) {
        return new DynamoThreads(dynamo, settings);
    }

    @Produces
    @ApplicationScoped
    Cancellation cancellation(Finalizer finalizer, Workflow workflow, Frames frames) {
        return new Cancellation(finalizer, workflow, frames, Clock.systemUTC());
    }

    /** The agents on the function's class path (built-in and brought by modules), the stack's DefaultAgent for a run naming none. */
    @Produces
    @ApplicationScoped
    Agents agents(FunctionSettings settings) {
        return Agents.load(settings.defaultAgent());
    }

    @Produces
    @ApplicationScoped
    LongPollCap longPollCap(DynamoDbClient dynamo, FunctionSettings settings) {
        return new LongPollCap(new DynamoPollSlots(dynamo, settings), settings.longPollsPerCaller());
    }

    @Produces
    @ApplicationScoped
    RunService runService(RunStore runs, Threads threads, ThreadQueue queue, Cancellation cancellation, LongPollCap longPolls,
                          Agents agents, FunctionSettings settings) {
        return new RunService(runs, threads, queue, cancellation, settings.threadQueueCap(), longPolls, agents, Clock.systemUTC());
    }

    @Produces
    @ApplicationScoped
    DaemonService daemonService(Daemons daemons, Frames frames, RunStore runs, Fence fence, Workflow workflow, LongPollCap longPolls) {
        return new DaemonService(daemons, frames, runs, fence, workflow, longPolls, Clock.systemUTC());
    }

    @Produces
    @ApplicationScoped
    Gate gate(RunStore runs, Threads threads, ThreadQueue queue, Workflow workflow, Finalizer finalizer,
              Cancellation cancellation, FunctionSettings settings) {
        return new Gate(runs, threads, queue, workflow, finalizer, cancellation,
                Gate.holdSeconds(settings.holdSeconds(), settings.runTimeoutSeconds()), Clock.systemUTC());
    }

    @Produces
    @ApplicationScoped
    Dispatcher dispatcher(Fence fence, RunStore runs, Daemons daemons, Agents agents, FunctionSettings settings) {
        return new Dispatcher(fence, runs, daemons, agents, settings.heartbeatSeconds(), Clock.systemUTC());
    }
}
