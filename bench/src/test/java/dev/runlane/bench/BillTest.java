package dev.runlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BillTest {

    private static Usage usage() {
        LambdaReports.Function gate = new LambdaReports.Function();
        gate.memoryMb = 1024;
        gate.invocations = 4;
        gate.billedMs = 2100; // cold starts included
        gate.warmMs.addAll(java.util.List.of(400.0, 600.0)); // 4 invocations at the warm mean, 500 ms: 2 GB-s
        LambdaReports.Function api = new LambdaReports.Function();
        api.memoryMb = 512;
        api.invocations = 2;
        api.billedMs = 0;
        return new Usage(2, 6, Map.of("runlane-GateFunction", gate, "runlane-ApiFunction", api),
                Map.of("sqs:ReceiveMessage", 3L, "sqs:SendMessage", 1L, "dynamodb:GetItem", 9L), 4, 8);
    }

    @Test
    void pricesEachLinePerMillionRunsFromThePricesFile() throws Exception {
        Map<String, Double> lines = Bill.load(Path.of("prices.json"), true).perMillionRuns(usage());
        // 2 runs: every figure is halved, then times a million
        assertEquals(3 * 25.0, lines.get("Step Functions transitions"), 1e-9);
        assertEquals(3 * 0.2, lines.get("Lambda requests"), 1e-9);
        assertEquals(1 * 13.3334, lines.get("Lambda GB-seconds"), 1e-9);
        assertEquals(4 * 0.625, lines.get("DynamoDB writes"), 1e-9);
        assertEquals(2 * 0.125, lines.get("DynamoDB reads"), 1e-9);
        assertEquals(2 * 0.5, lines.get("SQS requests"), 1e-9);
        assertEquals(1 * 1.0, lines.get("HTTP API requests"), 1e-9);
        assertEquals(75 + 0.6 + 13.3334 + 2.5 + 0.25 + 1 + 1, Bill.total(lines), 1e-9);
    }

    @Test
    void aDaemonsPollsArePricedForAMonth() throws Exception {
        // a poll every 5 s for 30 days: 518,400 polls of 40 ms at 512 MB and 2.5 read units each
        DaemonPolls idle = DaemonPolls.of("idle", 0, 5, 40, 512, 2.5, Bill.load(Path.of("prices.json"), true));
        assertEquals(518_400, idle.pollsPerMonth(), 1e-6);
        assertEquals(518_400 * 0.0000002, idle.monthUsd().get("Lambda requests"), 1e-9);
        assertEquals(518_400 * 0.02 * 0.0000133334, idle.monthUsd().get("Lambda GB-seconds"), 1e-9);
        assertEquals(518_400 * 2.5 * 0.000000125, idle.monthUsd().get("DynamoDB reads"), 1e-9);
        assertEquals(518_400 * 0.000001, idle.monthUsd().get("HTTP API requests"), 1e-9);
    }

    @Test
    void x86IsPricedAtItsOwnRate() throws Exception {
        assertEquals(16.6667, Bill.load(Path.of("prices.json"), false).perMillionRuns(usage()).get("Lambda GB-seconds"), 1e-9);
    }

    @Test
    void aMissingPriceIsAnError() {
        Bill empty = new Bill(new ObjectMapper().createObjectNode(), true);
        assertThrows(IllegalStateException.class, () -> empty.perMillionRuns(usage()));
    }
}
