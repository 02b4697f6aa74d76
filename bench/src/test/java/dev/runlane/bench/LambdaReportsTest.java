package dev.runlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LambdaReportsTest {

    @Test
    void countsColdAndWarmInvocationsPerFunctionFromReportLines() {
        LambdaReports reports = new LambdaReports();
        reports.publish(new LogRecord(Level.INFO, "[runlane-GateFunction] REPORT RequestId: a Function: runlane-GateFunction "
                + "Duration: 120.50 ms Billed Duration: 121 ms Memory Size: 1024 MB Init Duration: 850.25 ms"));
        reports.publish(new LogRecord(Level.INFO, "[runlane-GateFunction] REPORT RequestId: b Function: runlane-GateFunction "
                + "Duration: 9.10 ms Billed Duration: 10 ms Memory Size: 1024 MB"));
        reports.publish(new LogRecord(Level.INFO, "[runlane-GateFunction] {\"message\":\"not a report\"}"));
        Map<String, LambdaReports.Function> window = reports.take();
        LambdaReports.Function gate = window.get("runlane-GateFunction");
        assertEquals(2, gate.invocations);
        assertEquals(131, gate.billedMs);
        assertEquals(List.of(850.25), gate.initMs);
        assertEquals(List.of(9.10), gate.warmMs);
        assertEquals(131 / 1000.0, gate.gbSeconds(), 1e-9);
        assertTrue(reports.take().isEmpty(), "take starts a new window");
        assertEquals(2, reports.total().get("runlane-GateFunction").invocations, "the total keeps every window");
    }
}
