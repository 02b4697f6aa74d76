package dev.runlane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.AwsClients;
import dev.runlane.localcloud.LocalCloud;
import dev.runlane.localcloud.template.Stack;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sfn.SfnClient;

/** {@code ./runlane bench}: the scenario set on a local cloud of its own, then the report. */
@Command(name = "runlane bench", mixinStandardHelpOptions = true, version = "runlane bench 0.1.0",
        description = "Runs the benchmark scenarios on a local cloud it starts itself and reports handoff latency, "
                + "throughput, where a run's time goes, cold starts, memory and the bill per 1M runs.")
public final class Bench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DAEMON_ID = "bench-daemon";

    @Option(names = "--quick", description = "a small scenario set, about a minute")
    boolean quick;

    @Option(names = "--out", description = "results folder (default: bench/results/<time>)")
    Path out;

    @Option(names = "--scenario", description = "run only these scenarios (by name; repeatable)")
    List<String> only;

    @Option(names = "--max-sandboxes", description = "sandboxes per function (default: as ./runlane local, the cores + 1)")
    int maxSandboxes = LocalCloud.Options.defaultSandboxes();

    @Option(names = "--template", defaultValue = "template.yaml", description = "the SAM template (default: ${DEFAULT-VALUE})")
    Path template;

    @Option(names = "--prices", defaultValue = "bench/prices.json", description = "prices with sources (default: ${DEFAULT-VALUE})")
    Path prices;

    @Option(names = "--daemon-jar", defaultValue = "daemon/target/runlane-daemon.jar",
            description = "the reference daemon, for the desktop scenarios (default: ${DEFAULT-VALUE})")
    Path daemonJar;

    /** The reference daemon's --idle-poll-seconds default. */
    private static final int IDLE_POLL_SECONDS = 5;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Bench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        out = out != null ? out : Path.of("bench", "results", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(out);
        Path cloudLog = out.resolve("local-cloud.log");
        LambdaReports reports = quietLocalCloudLogs(cloudLog);
        List<Scenario> scenarios = Scenario.set(quick).stream().filter(s -> only == null || only.contains(s.name())).toList();
        if (scenarios.isEmpty()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "no scenario named " + only + " in the "
                    + (quick ? "quick" : "full") + " set: " + Scenario.set(quick).stream().map(Scenario::name).toList());
        }
        progress("runlane bench" + (quick ? " --quick" : "") + ": " + scenarios.size() + " scenarios, results in " + out
                + " (local cloud log: " + cloudLog + ")");
        boolean arm64 = Files.readString(template).matches("(?s).*Architectures:\\s*\\[\\s*arm64\\s*].*");
        Bill bill = Bill.load(prices, arm64);

        long bootStart = System.nanoTime();
        try (LocalCloud cloud = LocalCloud.start(new LocalCloud.Options(template, Map.of(), 0, 0, maxSandboxes, out.resolve("local"), line -> { }));
             MemorySampler memory = new MemorySampler()) {
            // Ctrl-C: the local cloud's moto and sandboxes, and the daemon, stop with the bench.
            Thread stop = new Thread(cloud::close, "bench-stop");
            Runtime.getRuntime().addShutdownHook(stop);
            double readySeconds = (System.nanoTime() - bootStart) / 1e9;
            progress(String.format(Locale.ROOT, "local cloud ready in %.1f s (API %s)", readySeconds, cloud.apiUri()));
            Stack.Function gate = cloud.stack().functions().stream().filter(f -> f.logicalId().equals("GateFunction")).findFirst().orElseThrow();
            DynamoDbClient dynamo = AwsClients.dynamoDb(cloud.motoUri());
            SfnClient sfn = AwsClients.sfn(cloud.motoUri());
            Driver driver = new Driver(cloud.apiUri(), dynamo, sfn, gate.environment().get("RUNLANE_RUNS_TABLE"), DAEMON_ID, Bench::progress);
            Process daemon = scenarios.stream().anyMatch(s -> !s.target().equals("hosted")) ? startDaemon(driver, cloud.apiUri()) : null;
            if (daemon != null) {
                memory.exclude(daemon);
                Runtime.getRuntime().addShutdownHook(new Thread(daemon::destroy, "bench-stop-daemon"));
            }
            List<ScenarioResult> results = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            String stamp = Long.toString(System.currentTimeMillis(), 36);
            try {
                for (Scenario scenario : scenarios) {
                    progress(String.format(Locale.ROOT, "%s: %d threads x %d runs (%s)", scenario.name(), scenario.threads(),
                            scenario.runsPerThread(), scenario.target()));
                    resetCounts(cloud.edgeUri());
                    reports.take();
                    memory.takePeak();
                    long start = System.nanoTime();
                    List<RunRecord> runs;
                    try {
                        runs = driver.run(scenario, "bench-" + stamp + "-" + scenario.name(), Duration.ofMinutes(20));
                    } catch (RuntimeException failed) {
                        failures.add(scenario.name() + ": " + failed.getMessage());
                        progress("  " + scenario.name() + " FAILED: " + failed.getMessage() + " (the other scenarios go on)");
                        continue;
                    }
                    double wall = (System.nanoTime() - start) / 1e9;
                    Map<String, LambdaReports.Function> lambdas = reports.take();
                    Usage usage = Usage.of(runs.size(), runs.stream().mapToLong(r -> r.transitions).sum(), lambdas, counts(cloud.edgeUri()));
                    ScenarioResult result = ScenarioResult.of(scenario, wall, runs, usage, memory.takePeak(), bill);
                    results.add(result);
                    progress(String.format(Locale.ROOT, "  %s: %.1f s, %.2f runs/s, handoff p50 %s p99 %s, %s, $%.2f per 1M runs",
                            scenario.name(), wall, result.throughput(), Report.ms(result.handoff().p50()), Report.ms(result.handoff().p99()),
                            result.statuses(), Bill.total(result.bill())));
                }
            } finally {
                if (daemon != null) {
                    daemon.destroy();
                }
            }
            List<DaemonPolls> daemonPolls = measureDaemonPolls(driver, cloud.edgeUri(), reports, bill, stamp);
            Report.Machine machine = new Report.Machine(machine(readySeconds), readySeconds, reports.total(),
                    "prices of " + prices + "; Lambda at " + (arm64 ? "arm64" : "x86_64") + ", the template's memory and this machine's warm durations");
            String md = Report.markdown(machine, results, daemonPolls);
            Files.writeString(out.resolve("summary.md"), md);
            Report.writeJson(out.resolve("report.json"), machine, results, daemonPolls);
            Chart.write(out.resolve("handoff.png"), results);
            System.out.println();
            System.out.println(md);
            progress("wrote " + out.resolve("summary.md") + ", " + out.resolve("report.json") + ", " + out.resolve("handoff.png"));
            failures.forEach(f -> progress("FAILED " + f));
            return failures.isEmpty() ? 0 : 1;
        }
    }

    /**
     * What an idle connected daemon costs a month, polling two ways: a 20 s long poll held all the time,
     * or (the reference daemon's default once idle) a poll without waiting every 5 s. Each measured on
     * a daemon with no frames: the frames function's billed time and the read units per poll.
     */
    private static List<DaemonPolls> measureDaemonPolls(Driver driver, URI edge, LambdaReports reports, Bill bill, String stamp)
            throws IOException, InterruptedException {
        String daemonId = "bench-idle-" + stamp;
        String credential = driver.registerDaemon(daemonId);
        progress("a connected daemon's idle polls: one 20 s long poll, then 20 polls without waiting");
        driver.pollFrames(daemonId, credential, 0); // its sandbox warm
        return List.of(
                measurePolls("a 20 s long poll held all the time", 20, 0, 1, driver, edge, reports, bill, daemonId, credential),
                measurePolls("a poll every 5 s without waiting (the reference daemon, idle)", 0, IDLE_POLL_SECONDS, 20, driver,
                        edge, reports, bill,
                        daemonId, credential));
    }

    private static DaemonPolls measurePolls(String mode, int waitSeconds, int intervalSeconds, int polls, Driver driver, URI edge,
                                            LambdaReports reports, Bill bill, String daemonId, String credential)
            throws IOException, InterruptedException {
        resetCounts(edge);
        reports.take();
        for (int i = 0; i < polls; i++) {
            int status = driver.pollFrames(daemonId, credential, waitSeconds);
            if (status != 200) {
                throw new IOException("GET frames of " + daemonId + " answered " + status);
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (reports.invocationsSoFar("DaemonApiFunction") < polls && System.nanoTime() < deadline) {
            Thread.sleep(20); // the REPORT lines come through the sandbox's log stream
        }
        LambdaReports.Function frames = reports.take().entrySet().stream().filter(e -> e.getKey().endsWith("DaemonApiFunction"))
                .map(Map.Entry::getValue).findFirst().orElseThrow(() -> new IOException("no REPORT line of the frames function"));
        double readUnits = counts(edge).path("dynamodbUnits").path("read").asDouble();
        return DaemonPolls.of(mode, waitSeconds, intervalSeconds, (double) frames.billedMs / frames.invocations, frames.memoryMb,
                readUnits / polls, bill);
    }

    /** The local cloud's own log lines go to a file; the REPORT lines are also counted. */
    private static LambdaReports quietLocalCloudLogs(Path file) throws IOException {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %5$s%6$s%n");
        FileHandler fileHandler = new FileHandler(file.toString());
        fileHandler.setFormatter(new SimpleFormatter());
        root.addHandler(fileHandler);
        LambdaReports reports = new LambdaReports();
        reports.setLevel(Level.INFO);
        root.addHandler(reports);
        return reports;
    }

    private Process startDaemon(Driver driver, URI api) throws IOException, InterruptedException {
        if (!Files.isRegularFile(daemonJar)) {
            throw new IllegalStateException(daemonJar + " is missing: build the daemon (./runlane bench builds it)");
        }
        Path dir = Files.createDirectories(out.resolve("daemon"));
        Path credential = dir.resolve("credential");
        // Created readable by this user alone: the daemon refuses a credential file others can read.
        Files.deleteIfExists(credential);
        Files.createFile(credential, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(credential, driver.registerDaemon() + "\n");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m", "-jar", daemonJar.toString(),
                "--api-url", api.toString(), "--daemon-id", DAEMON_ID, "--credential-file", credential.toString(),
                "--root", Files.createDirectories(dir.resolve("root")).toString(), "--command", "true");
        progress("started the reference daemon " + DAEMON_ID + " (log " + dir.resolve("daemon.log") + ")");
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private static void resetCounts(URI edge) throws IOException, InterruptedException {
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(edge.resolve("/_runlane/requests")).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
    }

    private static JsonNode counts(URI edge) throws IOException, InterruptedException {
        return JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(edge.resolve("/_runlane/requests")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private String machine(double readySeconds) {
        return String.format(Locale.ROOT, "Measured %s on %d cores, %.0f GiB, Java %s; the local cloud (moto %s, up to %d sandboxes "
                        + "per function) was ready in %.1f s.", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")),
                Runtime.getRuntime().availableProcessors(), totalMemoryGiB(), Runtime.version(), motoVersion(), maxSandboxes, readySeconds);
    }

    private static double totalMemoryGiB() {
        try {
            return Files.lines(Path.of("/proc/meminfo")).filter(l -> l.startsWith("MemTotal:")).findFirst()
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0).orElse(0.0);
        } catch (IOException e) {
            return 0;
        }
    }

    private static String motoVersion() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import moto; print(moto.__version__)").redirectErrorStream(true).start();
            return new String(p.getInputStream().readAllBytes()).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    static void progress(String line) {
        System.out.println("bench: " + line);
    }
}
