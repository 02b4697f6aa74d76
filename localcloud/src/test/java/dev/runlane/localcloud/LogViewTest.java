package dev.runlane.localcloud;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogViewTest {

    @Test
    void aFunctionsJsonLineBecomesOneReadableLineWithItsIds() {
        String line = "[runlane-GateFunction] {\"timestamp\":\"2026-12-01T10:00:00.123Z\",\"loggerName\":\"dev.runlane.gate.Gate\","
                + "\"level\":\"INFO\",\"message\":\"run r1 of thread t1 started: arn:x\",\"threadName\":\"main\","
                + "\"mdc\":{\"requestId\":\"req-1\",\"runId\":\"r1\",\"threadId\":\"t1\"},\"function\":\"runlane-GateFunction\"}";
        assertEquals("[runlane-GateFunction] INFO  Gate requestId=req-1 runId=r1 threadId=t1: run r1 of thread t1 started: arn:x",
                LogView.readable(line));
    }

    @Test
    void anExceptionIsNamedOnTheSameLine() {
        String line = "[f] {\"level\":\"SEVERE\",\"loggerName\":\"dev.runlane.handlers.Http\",\"message\":\"request failed\","
                + "\"exception\":{\"exceptionType\":\"java.lang.IllegalStateException\",\"message\":\"boom\",\"frames\":[]}}";
        assertEquals("[f] SEVERE Http: request failed (java.lang.IllegalStateException: boom)", LogView.readable(line));
    }

    @Test
    void theConsoleFormatterShowsSandboxLinesReadably() {
        java.util.logging.LogRecord record = new java.util.logging.LogRecord(java.util.logging.Level.INFO,
                "[f] {\"level\":\"INFO\",\"loggerName\":\"a.B\",\"message\":\"hi\",\"mdc\":{\"runId\":\"r1\"}}");
        assertEquals("[f] INFO  B runId=r1: hi", LogView.formatter().formatMessage(record));
    }

    @Test
    void routineLinesAreTheOnesOnlyVerboseShows() {
        for (String line : new String[]{
                "[runlane-GateFunction] Picked up JAVA_TOOL_OPTIONS: -Xmx435m -XX:+UseSerialGC",
                "[runlane-ApiFunction] REPORT RequestId: 1 Function: runlane-ApiFunction Duration: 97.93 ms Billed Duration: 98 ms Memory Size: 1024 MB",
                "[runlane-ApiFunction] prewarmed in 1098 ms",
                "[runlane-ApiFunction] {\"timestamp\":\"t\",\"loggerName\":\"io.quarkus\",\"level\":\"INFO\",\"message\":\"Profile prod activated. \"}",
                "[runlane-HostedDispatchFunction] {\"_aws\":{\"Timestamp\":1},\"StaleWrites\":1}",
                "api: GET /threads -> 200 (12 ms)",
                "api: POST /threads/t1/runs -> 202 (140 ms)",
                "sqs RunQueue: 1 message(s) -> runlane-GateFunction: 0 deleted, 1 left on the queue",
                "rule RunStatusRule: run-1 FAILED -> runlane-ReaperFunction"}) {
            assertTrue(LogView.routine(line), line);
        }
        for (String line : new String[]{
                "[runlane-GateFunction] {\"loggerName\":\"dev.runlane.gate.Gate\",\"level\":\"INFO\",\"message\":\"run r1 of thread t1 started\"}",
                "[runlane-ApiFunction] {\"loggerName\":\"io.quarkus\",\"level\":\"ERROR\",\"message\":\"failed to start\"}",
                "[runlane-ApiFunction] Exception in thread \"main\" java.lang.OutOfMemoryError",
                "[runlane-ApiFunction] replaced a killed sandbox with one ready in 900 ms",
                "api: GET /runs/x -> 404 (9 ms)",
                "api: POST /threads/t1/runs: refused: bad path",
                "sqs RunQueue: runlane-GateFunction failed; the batch of 1 stays on the queue",
                "fault fault-1 fired (kill on runlane-GateFunction)",
                "stopping"}) {
            assertFalse(LogView.routine(line), line);
        }
    }

    @Test
    void otherLinesPassUnchanged() {
        for (String line : new String[]{"[f] START RequestId: 1 Version: $LATEST", "[f] {not json", "[f] {\"_aws\":{},\"StaleWrites\":1}",
                "plain", "[f] [1,2]"}) {
            assertEquals(line, LogView.readable(line));
        }
    }
}
