package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/** h. An execution stopped from outside (StopExecution, as from the console): the reaper ends the run, the thread moves on. */
class ScenarioH_StoppedExecutionIT extends Scenario {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anExecutionStoppedFromOutsideIsReapedAndTheThreadMovesOn() {
        String thread = Ids.thread("h");
        String stopped = api.startRun(thread, Api.simulated(60_000, 200)).path("runId").asText();
        String next = api.startRun(thread, Api.echo("after the stop")).path("runId").asText();

        JsonNode running = Poll.until(Duration.ofSeconds(30), "run " + stopped + " is RUNNING with an execution",
                () -> api.run(stopped), r -> "RUNNING".equals(r.path("status").asText()) && r.path("executionArn").isTextual());
        String executionArn = running.path("executionArn").asText();
        stack.sfn().stopExecution(r -> r.executionArn(executionArn).error("Console").cause("stopped from the console by e2e"));
        Poll.until(Duration.ofSeconds(10), "execution " + executionArn + " is ABORTED",
                () -> stack.sfn().describeExecution(r -> r.executionArn(executionArn)).status(), s -> s == ExecutionStatus.ABORTED);

        JsonNode reaped = api.awaitTerminal(stopped, Duration.ofSeconds(30));
        assertEquals("CANCELLED", reaped.path("status").asText(), reaped.toString());
        assertEquals("ExecutionAborted", reaped.path("error").path("code").asText(), reaped.toString());

        JsonNode after = api.awaitTerminal(next, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", after.path("status").asText(), after.toString());
        assertFalse(Api.time(after, "startedAt").isBefore(Api.time(reaped, "finishedAt")), after.toString());
        // The stopped run's attempt is fenced out; its status stays the reaper's.
        Poll.until(Duration.ofSeconds(20), "the stopped run's attempt is fenced out", () -> api.run(stopped),
                r -> r.path("staleWrites").asInt() >= 1);
        assertEquals("CANCELLED", api.run(stopped).path("status").asText());
    }
}
