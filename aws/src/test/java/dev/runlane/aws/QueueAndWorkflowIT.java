package dev.runlane.aws;

import dev.runlane.domain.QueueMessage;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunError;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Target;
import dev.runlane.domain.Workflow;
import dev.runlane.testing.LocalAws;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DynamoDB conditional writes, SQS FIFO hold/release and Step Functions name idempotency, on moto. */
class QueueAndWorkflowIT {
    private static final Instant NOW = Instant.parse("2026-11-28T17:10:00.123Z");

    private final LocalAws aws = LocalAws.get();
    private final DynamoRunStore runs = new DynamoRunStore(aws.dynamo, aws.settings);
    private final DynamoFence fence = new DynamoFence(aws.dynamo, aws.settings);
    private final SqsThreadQueue queue = new SqsThreadQueue(aws.sqs, aws.settings.queueUrl(),
            aws.settings.deadLetterQueueUrl().orElseThrow());
    private final StepFunctionsWorkflow workflow = new StepFunctionsWorkflow(aws.sfn, aws.settings.stateMachineArn().orElseThrow());
    private final String thread = "q-" + UUID.randomUUID();

    @Test
    void runWritesAreConditional() {
        Run run = Run.queued("run-" + UUID.randomUUID(), thread, Target.HOSTED, null, "h1", NOW);
        assertTrue(runs.create(run, 1000).orElseThrow().created());
        var again = runs.create(Run.queued(run.runId(), thread, Target.DESKTOP, "d", "h2", NOW), 1000).orElseThrow();
        assertFalse(again.created(), "an existing run is never overwritten");
        assertEquals("h1", again.run().requestHash());

        runs.recordQueueSeq(run.runId(), "0001");
        runs.recordQueueSeq(run.runId(), "0002");
        assertEquals("0001", runs.find(run.runId()).orElseThrow().queueSeq(), "the first queue position wins");

        assertTrue(runs.markRunning(run.runId(), "arn:x", "receipt-1", null).isPresent());
        assertTrue(fence.end(thread, run.runId(), RunStatus.FAILED, new RunError("Boom", "it broke"), NOW, false));
        assertFalse(fence.end(thread, run.runId(), RunStatus.SUCCEEDED, null, NOW, false), "terminal is final");
        assertTrue(runs.markRunning(run.runId(), "arn:x", "receipt-2", null).isEmpty(), "an ended run is not marked running");
        Run ended = runs.find(run.runId()).orElseThrow();
        assertEquals(RunStatus.FAILED, ended.status());
        assertEquals("receipt-1", ended.receiptHandle());
        assertEquals(new RunError("Boom", "it broke"), ended.error());
    }

    @Test
    void aHeldHeadWithholdsItsThreadUntilReleased() {
        String first = queuedRun();
        String second = queuedRun();
        String seq1 = queue.enqueue(thread, first);
        String seq2 = queue.enqueue(thread, second);
        assertTrue(seq1.compareTo(seq2) < 0, "queue order is sequence order");

        Message head = aws.receive(List.of(first)).get(first);
        queue.hold(head.receiptHandle(), 600);
        assertThrows(AssertionError.class, () -> aws.receive(List.of(second)), "the thread is withheld while its head is in flight");

        queue.release(head.receiptHandle());
        Message again = aws.receive(List.of(first)).get(first);
        aws.sqs.deleteMessage(r -> r.queueUrl(aws.settings.queueUrl()).receiptHandle(again.receiptHandle()));
        Message next = aws.receive(List.of(second)).get(second);
        assertEquals(thread, next.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID));
        aws.sqs.deleteMessage(r -> r.queueUrl(aws.settings.queueUrl()).receiptHandle(next.receiptHandle()));
    }

    @Test
    void aDoneHeadIsDeletedSoTheThreadsNextRunIsDeliveredNext() {
        String first = queuedRun();
        String second = queuedRun();
        queue.enqueue(thread, first);
        queue.enqueue(thread, second);

        Message head = aws.receive(List.of(first)).get(first);
        queue.hold(head.receiptHandle(), 600);
        queue.done(head.receiptHandle());
        Message next = aws.receive(List.of(second)).get(second);
        assertEquals(thread, next.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID));
        queue.done(next.receiptHandle());
        assertThrows(AssertionError.class, () -> aws.receive(List.of(first)), "the done head is gone, not released");
    }

    @Test
    void aDeadLetteredMessageKeepsItsBodyAndReason() {
        String id = UUID.randomUUID().toString();
        queue.deadLetter(new QueueMessage(id, "r", "not json {", thread, id), "the message names no run");
        String dlq = aws.settings.deadLetterQueueUrl().orElseThrow();
        Message moved = poll(() -> aws.sqs.receiveMessage(r -> r.queueUrl(dlq).maxNumberOfMessages(10)
                .messageAttributeNames("All").attributeNamesWithStrings("All")).messages().stream()
                .filter(m -> thread.equals(m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID))).findFirst().orElse(null));
        assertEquals("not json {", moved.body());
        assertEquals("the message names no run", moved.messageAttributes().get("reason").stringValue());
    }

    @Test
    void anExecutionIsStartedOncePerRunName() {
        String runId = "run-" + UUID.randomUUID();
        String input = "{\"runId\":\"" + runId + "\",\"threadId\":\"" + thread + "\",\"target\":\"hosted\",\"input\":{}}";
        String arn = workflow.start(runId, input);
        assertEquals(arn, workflow.start(runId, input), "a repeat start names the same execution");
        assertEquals(1, aws.sfn.listExecutions(r -> r.stateMachineArn(aws.settings.stateMachineArn().orElseThrow()))
                .executions().stream().filter(e -> e.name().equals(runId)).count());
        assertEquals(Workflow.Status.RUNNING, workflow.describe(runId).orElseThrow().status());

        workflow.stop(runId, "RunCancelled", "test");
        assertEquals(Workflow.Status.ABORTED, workflow.describe(runId).orElseThrow().status());
        assertEquals(arn, workflow.start(runId, input), "a closed execution's name is taken (ExecutionAlreadyExists)");
        assertTrue(workflow.describe("run-never-started").isEmpty());
        workflow.stop("run-never-started", "RunCancelled", "a queued run has no execution");
    }

    /** A stored run (the queue helper finds a run's thread from it); not enqueued. */
    private String queuedRun() {
        String runId = "run-" + UUID.randomUUID();
        runs.create(Run.queued(runId, thread, Target.HOSTED, null, "h", NOW), 1000).orElseThrow();
        return runId;
    }

    private static <T> T poll(java.util.function.Supplier<T> probe) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (Instant.now().isBefore(deadline)) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
        }
        throw new AssertionError("nothing arrived within 10 s");
    }
}
