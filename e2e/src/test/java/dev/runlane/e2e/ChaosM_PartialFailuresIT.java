package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;

/**
 * Chaos m. An AWS call that fails between two writes of an operation, reproduced as the review found
 * them (issue "Every promise survives a crash at any point", items 1, 4 and 6): the caller hears the
 * failure, nothing is left that only a person can fix, and a retry of the same request finishes it.
 * Each awsError fault fires more often than the SDK retries, then is cleared at once.
 */
class ChaosM_PartialFailuresIT extends ChaosScenario {
    /** Above the SDK's attempts (3 in its standard mode), so the call fails for the function. */
    private static final int PAST_SDK_RETRIES = 4;

    /** Item 1: a start whose queue message is not sent leaves no orphan QUEUED run. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aStartWhoseMessageIsNotSentLeavesNoOrphanAndItsRetryWithTheKeyCompletesIt() {
        String thread = Ids.thread("cm1");
        failing("sqs:SendMessage", "InternalError");
        Api.Response failed = api.start(thread, Api.echo("lost"), null);
        faults.clear();
        assertTrue(failed.status() >= 500, "the caller hears the start failed: " + failed);

        JsonNode view = api.threadView(thread);
        assertEquals(0, view.path("queued").asInt(), "nothing of it is queued or counted: " + view);
        ObjectNode reject = Api.echo("reject start on an idle thread");
        reject.put("onBusy", "reject");
        Api.Response rejectStart = api.start(thread, reject, null);
        assertEquals(202, rejectStart.status(), "the thread is not busy with a run that will never execute: " + rejectStart);
        assertEquals("SUCCEEDED", api.awaitTerminal(rejectStart.body().path("runId").asText(), Duration.ofSeconds(60))
                .path("status").asText());

        String keyed = Ids.thread("cm1k");
        failing("sqs:SendMessage", "InternalError");
        Api.Response keyedFailed = api.start(keyed, Api.echo("keyed"), "start-1");
        faults.clear();
        assertTrue(keyedFailed.status() >= 500, keyedFailed.toString());
        Api.Response retried = api.start(keyed, Api.echo("keyed"), "start-1");
        assertEquals(200, retried.status(), "the retry with the same Idempotency-Key completes the start of that run: " + retried);
        assertEquals("SUCCEEDED", api.awaitTerminal(retried.body().path("runId").asText(), Duration.ofSeconds(60))
                .path("status").asText());
        assertEquals(1, api.threadRuns(keyed).size(), "one run for the key");
    }

    /** Item 4: a resume whose release fails says so, and resuming again releases the held head. */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aResumeWhoseReleaseFailsReportsItAndARetryReleasesTheHead() {
        String thread = Ids.thread("cm4");
        String first = api.startRun(thread, Api.simulated(2000, 500)).path("runId").asText();
        api.awaitStatus(first, "RUNNING", Duration.ofSeconds(60));
        assertEquals(200, api.pause(thread).status());
        String second = api.startRun(thread, Api.echo("behind the pause")).path("runId").asText();
        api.awaitTerminal(first, Duration.ofSeconds(60));
        Poll.until(Duration.ofSeconds(60), "the gate holds the paused thread's head", () -> heldReceipt(thread), r -> r != null);
        faults.awaitIdle("GateFunction"); // its hold is done: the fault below is for the resume alone

        failing("sqs:ChangeMessageVisibility", "InternalError");
        Api.Response resumed = api.resume(thread);
        faults.clear();
        assertTrue(resumed.status() >= 500, "a resume that could not release the head must not answer as if it had: " + resumed);

        Api.Response again = api.resume(thread);
        assertEquals(200, again.status(), again.toString());
        assertFalse(again.body().path("paused").asBoolean(true), again.toString());
        JsonNode done = api.awaitTerminal(second, Duration.ofSeconds(20 + E2eStack.HOLD_SECONDS));
        assertEquals("SUCCEEDED", done.path("status").asText(), "the next run starts once resumed: " + done);
    }

    /**
     * Item 6: a cancel whose StopExecution fails answers 5xx; its retry answers 200 with the run and
     * completes the cancel; the thread's next run starts only after the cancelled execution stopped.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aCancelCutShortIsCompletedByItsRetryAndTheNextRunWaitsForTheStop() {
        String thread = Ids.thread("cm6");
        String running = api.startRun(thread, Api.simulated(60_000, 1000)).path("runId").asText();
        String next = api.startRun(thread, Api.echo("next")).path("runId").asText();
        api.awaitStatus(running, "RUNNING", Duration.ofSeconds(60));
        Poll.until(Duration.ofSeconds(60), "the running run's attempt began", () -> api.run(running).path("attempts").asInt(), n -> n >= 1);

        failing("states:StopExecution", "InternalFailure");
        Api.Response cut = api.cancel(running);
        faults.clear();
        assertTrue(cut.status() >= 500, "the caller hears the cancel did not complete: " + cut);
        assertEquals("QUEUED", api.run(next).path("status").asText(), "the next run waits: the cancelled execution still runs");

        Instant retriedAt = Instant.now();
        Api.Response retried = api.cancel(running);
        assertEquals(200, retried.status(), "a retry completes the cancel: " + retried);
        assertEquals("CANCELLED", retried.body().path("status").asText(), retried.toString());
        JsonNode nextDone = api.awaitTerminal(next, Duration.ofSeconds(30 + E2eStack.HOLD_SECONDS));
        assertEquals("SUCCEEDED", nextDone.path("status").asText(), nextDone.toString());

        DescribeExecutionResponse cancelled = stack.sfn().describeExecution(r -> r.executionArn(api.run(running).path("executionArn").asText()));
        assertEquals("ABORTED", cancelled.statusAsString(), "the retry stopped the cancelled execution");
        // The thread was freed only by the retry, after its StopExecution: not by the cut-short cancel.
        // (moto dates an execution stopped during a Lambda task when the task returns, later than the
        // stop call, so the stop date itself cannot be compared with the next execution's start here.)
        DescribeExecutionResponse started = stack.sfn().describeExecution(r -> r.executionArn(api.run(next).path("executionArn").asText()));
        assertFalse(started.startDate().isBefore(retriedAt),
                "the next run's execution started " + started.startDate() + ", before the cancel's retry at " + retriedAt);
    }

    private void failing(String action, String code) {
        ObjectNode fault = Faults.fault("awsError", action, PAST_SDK_RETRIES).put("code", code);
        faults.add(fault);
    }

    private String heldReceipt(String thread) {
        Map<String, AttributeValue> item = stack.dynamo().getItem(r -> r.tableName(stack.tableNamed("ThreadsTable"))
                .consistentRead(true).key(Map.of("threadId", AttributeValue.fromS(thread)))).item();
        return item == null || !item.containsKey("heldReceipt") ? null : item.get("heldReceipt").s();
    }
}
