package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;

/**
 * Chaos c. Lambda throttles and answers SnapStartNotReadyException (a version idle for 14 days) on
 * hosted dispatch, desktop dispatch and finalize: every run ends as it would without the fault, and
 * the desktop command runs exactly once.
 */
class ChaosC_ThrottlesAndSnapStartIT extends ChaosScenario {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aHostedRunRecoversFromThrottlesAndSnapStartNotReady() {
        faults.add(Faults.fault("throttle", HOSTED, 1)).add(Faults.fault("snapStartNotReady", HOSTED, 1))
                .add(Faults.fault("throttle", FINALIZE, 1)).add(Faults.fault("snapStartNotReady", FINALIZE, 1));
        JsonNode body = Api.echo("throttled");
        String runId = api.startRun(Ids.thread("cc"), body).path("runId").asText();

        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(90));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(body.path("input"), run.path("output"), run.toString());
        assertEquals(2, faults.fired("throttle"), faults.toString());
        assertEquals(2, faults.fired("snapStartNotReady"), faults.toString());
        List<HistoryEvent> history = stack.history(run.path("executionArn").asText());
        List<String> errors = history.stream().filter(e -> e.type() == HistoryEventType.TASK_FAILED)
                .map(e -> e.taskFailedEventDetails().error()).sorted().toList();
        assertEquals(List.of("Lambda.SnapStartNotReadyException", "Lambda.SnapStartNotReadyException",
                "Lambda.TooManyRequestsException", "Lambda.TooManyRequestsException"), errors, History.describe(history));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aDesktopDispatchThatNeverRanIsRetriedAndItsCommandRunsOnce() {
        DesktopDaemon daemon = daemon("cc");
        daemon.start("echo working; echo '{\"done\":true}'");
        faults.add(Faults.fault("throttle", DESKTOP, 1)).add(Faults.fault("snapStartNotReady", DESKTOP, 1))
                .add(Faults.fault("throttle", FINALIZE, 1));
        String runId = api.startRun(Ids.thread("cc"), Api.desktop(daemon.id(), Api.JSON.createObjectNode()))
                .path("runId").asText();

        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(90));
        assertEquals("SUCCEEDED", run.path("status").asText(), run + "\n" + daemon.log());
        assertEquals(Api.JSON.createObjectNode().put("done", true), run.path("output"), run.toString());
        assertEquals(1, run.path("attempts").asInt(), "a desktop dispatch is always attempt 1: " + run);
        assertEquals(1, daemon.logLines(runId, "started '").size(), "the command ran once:\n" + daemon.log());
        assertEquals(3, faults.fired("throttle") + faults.fired("snapStartNotReady"), faults.toString());
    }
}
