package dev.runlane.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The bench's report: one Markdown summary (also printed), the full figures as JSON. */
final class Report {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Report() {
    }

    static String markdown(Machine machine, List<ScenarioResult> results, List<DaemonPolls> daemonPolls) {
        StringBuilder md = new StringBuilder();
        md.append("# runlane bench\n\n").append(machine.describe()).append("\n\n");
        md.append("## Latency and throughput\n\n");
        md.append("| scenario | runs | statuses | attempts | runs/s | handoff p50 | p90 | p99 | max | API p50 | peak memory | goal |\n");
        md.append("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
        for (ScenarioResult r : results) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %.2f | %s | %s | %s | %s | %s | %.2f GB | %s |\n",
                    r.scenario().name(), r.runs().size(), r.statuses(), r.attempts(), r.throughput(), ms(r.handoff().p50()),
                    ms(r.handoff().p90()), ms(r.handoff().p99()), ms(r.handoff().max()), ms(r.api().p50()), r.peakMemoryBytes() / 1e9,
                    r.scenario().goal().judge(r.handoff(), r.throughput(), r.peakMemoryBytes())));
        }
        md.append("\n## Where a run's time goes (p50 / p99)\n\n| scenario |");
        ScenarioResult.SEGMENTS.forEach(s -> md.append(' ').append(s).append(" |"));
        md.append("\n| --- |").append(" ---: |".repeat(ScenarioResult.SEGMENTS.size())).append('\n');
        for (ScenarioResult r : results) {
            md.append("| ").append(r.scenario().name()).append(" |");
            r.breakdown().values().forEach(s -> md.append(' ').append(ms(s.p50())).append(" / ").append(ms(s.p99())).append(" |"));
            md.append('\n');
        }
        md.append("\n## Functions (all scenarios): cold starts and warm invocations\n\n");
        md.append("| function | invocations | cold starts | INIT p50 | INIT max | warm p50 | warm p99 |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        machine.functions().forEach((fn, f) -> {
            Stats init = Stats.of(f.initMs);
            Stats warm = Stats.of(f.warmMs);
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %s |\n", fn, f.invocations, init.count(),
                    ms(init.p50()), ms(init.max()), ms(warm.p50()), ms(warm.p99())));
        });
        if (machine.functions().keySet().stream().anyMatch(fn -> fn.endsWith("DaemonApiFunction"))) {
            md.append("\nThe daemon API function's invocations include the daemons' frame polls: a long poll is held up to"
                    + " 20 s while no frame comes, so its warm p99 is a poll's wait, not work (and billed as such: see the idle"
                    + " daemon's cost below).\n");
        }
        md.append("\n## The bill per 1M runs (USD, ").append(machine.pricesNote()).append(")\n\n");
        md.append("| scenario | transitions per run | total |");
        List<String> lines = results.isEmpty() ? List.of() : List.copyOf(results.get(0).bill().keySet());
        lines.forEach(l -> md.append(' ').append(l).append(" |"));
        md.append("\n| --- | --- | ---: |").append(" ---: |".repeat(lines.size())).append('\n');
        for (ScenarioResult r : results) {
            md.append(String.format(Locale.ROOT, "| %s (%s) | %s | **%.2f** |", r.scenario().name(), r.scenario().kind(),
                    r.transitionsByKind(), Bill.total(r.bill())));
            r.bill().values().forEach(v -> md.append(String.format(Locale.ROOT, " %.2f |", v)));
            md.append('\n');
        }
        md.append("\nRequests per run by action (what the bill's SQS and DynamoDB lines count):\n\n");
        for (ScenarioResult r : results) {
            md.append("- ").append(r.scenario().name()).append(": ");
            StringBuilder parts = new StringBuilder();
            r.usage().requests().forEach((action, n) -> parts.append(parts.isEmpty() ? "" : ", ")
                    .append(action).append(String.format(Locale.ROOT, " %.1f", (double) n / r.runs().size())));
            r.usage().lambdas().forEach((fn, f) -> parts.append(", ").append(fn).append(String.format(Locale.ROOT,
                    " %.1f invocations", (double) f.invocations / r.runs().size())));
            md.append(parts).append('\n');
        }
        md.append("\n## A connected daemon while idle, per month (30 days, USD)\n\n");
        md.append("| polling | polls a month | frames function per poll | read units per poll | total |");
        List<String> monthLines = daemonPolls.isEmpty() ? List.of() : List.copyOf(daemonPolls.get(0).monthUsd().keySet());
        monthLines.forEach(l -> md.append(' ').append(l).append(" |"));
        md.append("\n| --- | ---: | ---: | ---: | ---: |").append(" ---: |".repeat(monthLines.size())).append('\n');
        for (DaemonPolls p : daemonPolls) {
            md.append(String.format(Locale.ROOT, "| %s | %,.0f | %s at %d MB | %.1f | **%.2f** |", p.mode(), p.pollsPerMonth(),
                    ms(p.billedMsPerPoll()), p.memoryMb(), p.readUnitsPerPoll(), Bill.total(p.monthUsd())));
            p.monthUsd().values().forEach(v -> md.append(String.format(Locale.ROOT, " %.2f |", v)));
            md.append('\n');
        }
        return md.toString();
    }

    static void writeJson(Path file, Machine machine, List<ScenarioResult> results, List<DaemonPolls> daemonPolls) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("machine", machine.describe());
        root.put("localCloudReadySeconds", machine.readySeconds());
        ArrayNode scenarios = root.putArray("scenarios");
        for (ScenarioResult r : results) {
            ObjectNode s = scenarios.addObject();
            s.set("scenario", JSON.valueToTree(r.scenario()));
            s.put("wallSeconds", r.wallSeconds());
            s.put("runsPerSecond", r.throughput());
            s.set("handoffMs", JSON.valueToTree(r.handoff()));
            s.set("apiMs", JSON.valueToTree(r.api()));
            s.set("breakdownMs", JSON.valueToTree(r.breakdown()));
            s.set("attempts", JSON.valueToTree(r.attempts()));
            s.set("statuses", JSON.valueToTree(r.statuses()));
            s.set("transitionsPerRun", JSON.valueToTree(r.transitionsByKind()));
            s.set("requests", JSON.valueToTree(r.usage().requests()));
            s.putObject("dynamodbUnits").put("read", r.usage().dynamoReadUnits()).put("write", r.usage().dynamoWriteUnits());
            ObjectNode lambdas = s.putObject("lambda");
            r.usage().lambdas().forEach((fn, f) -> lambdas.putObject(fn).put("invocations", f.invocations)
                    .put("billedMs", f.billedMs).put("memoryMb", f.memoryMb).put("gbSeconds", f.gbSeconds())
                    .put("steadyGbSeconds", f.steadyGbSeconds())
                    .<ObjectNode>set("initMs", JSON.valueToTree(Stats.of(f.initMs))).set("warmMs", JSON.valueToTree(Stats.of(f.warmMs))));
            s.put("peakMemoryBytes", r.peakMemoryBytes());
            s.set("billPerMillionRunsUsd", JSON.valueToTree(r.bill()));
            s.put("billTotalPerMillionRunsUsd", Bill.total(r.bill()));
            ArrayNode runs = s.putArray("runs");
            for (RunRecord run : r.runs()) {
                runs.addObject().put("runId", run.runId).put("threadId", run.threadId).put("index", run.index)
                        .put("target", run.target).put("status", run.status).put("attempts", run.attempts)
                        .put("transitions", run.transitions).put("apiMs", run.apiMs)
                        .put("createdAt", String.valueOf(run.createdAt)).put("executionStartedAt", String.valueOf(run.executionStartedAt))
                        .put("startedAt", String.valueOf(run.startedAt)).put("agentEndedAt", String.valueOf(run.agentEndedAt))
                        .put("finishedAt", String.valueOf(run.finishedAt));
            }
        }
        ArrayNode daemon = root.putArray("connectedDaemonPerMonth");
        daemonPolls.forEach(p -> daemon.add(JSON.<ObjectNode>valueToTree(p).put("pollsPerMonth", p.pollsPerMonth())
                .put("totalUsd", Bill.total(p.monthUsd()))));
        Files.writeString(file, JSON.writeValueAsString(root));
    }

    static String ms(double value) {
        if (Double.isNaN(value)) {
            return "-";
        }
        return value >= 10_000 ? String.format(Locale.ROOT, "%.1f s", value / 1000) : String.format(Locale.ROOT, "%.0f ms", value);
    }

    /** What the figures were measured on and with. */
    record Machine(String describe, double readySeconds, Map<String, LambdaReports.Function> functions, String pricesNote) {
    }
}
