package dev.runlane.localcloud;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    void otherLinesPassUnchanged() {
        for (String line : new String[]{"[f] START RequestId: 1 Version: $LATEST", "[f] {not json", "[f] {\"_aws\":{},\"StaleWrites\":1}",
                "plain", "[f] [1,2]"}) {
            assertEquals(line, LogView.readable(line));
        }
    }
}
