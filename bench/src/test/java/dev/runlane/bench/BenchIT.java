package dev.runlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code ./runlane bench --quick} end to end, on a local cloud of its own: every scenario's runs end
 * SUCCEEDED and the report's files are written. Its figures are the bench's to show, never asserted.
 */
class BenchIT {

    @Test
    void theQuickSetRunsAndWritesItsReport() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path out = Path.of("target", "bench-quick").toAbsolutePath();
        int exit = new CommandLine(new Bench()).execute("--quick", "--out", out.toString(),
                "--template", root.resolve("template.yaml").toString(), "--prices", root.resolve("bench/prices.json").toString(),
                "--daemon-jar", root.resolve("daemon/target/runlane-daemon.jar").toString());
        assertEquals(0, exit, "the quick set ran (see " + out.resolve("local-cloud.log") + ")");
        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals(Scenario.set(true).size(), report.path("scenarios").size());
        for (JsonNode scenario : report.path("scenarios")) {
            int runs = scenario.path("scenario").path("threads").asInt() * scenario.path("scenario").path("runsPerThread").asInt();
            assertEquals(runs, scenario.path("statuses").path("SUCCEEDED").asInt(), scenario.path("scenario").path("name") + " all succeeded");
            assertTrue(scenario.path("billTotalPerMillionRunsUsd").asDouble() > 0, "priced");
        }
        assertTrue(Files.readString(out.resolve("summary.md")).contains("## The bill per 1M runs"));
        assertTrue(Files.readString(out.resolve("summary.md")).contains("## A connected daemon while idle, per month"));
        assertTrue(Files.size(out.resolve("handoff.png")) > 0);
    }
}
