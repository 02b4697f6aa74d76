package dev.runlane.localcloud;

import dev.runlane.localcloud.faults.ArmedFault;
import dev.runlane.localcloud.faults.Fault;
import dev.runlane.localcloud.faults.FaultJson;
import dev.runlane.localcloud.faults.InvalidFaultException;
import dev.runlane.localcloud.moto.MotoServer;
import dev.runlane.localcloud.template.Parameters;
import dev.runlane.localcloud.template.TemplateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** {@code ./runlane local}: runs the local cloud in the foreground until SIGINT/SIGTERM. */
public final class Main {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private static final String USAGE = """
            usage: runlane local [--template template.yaml] [--parameter-overrides "K=V K=V"] [--api-port N] [--edge-port N] [--console-port N] [--faults FILE]
              --template             the SAM template to serve (default: template.yaml)
              --parameter-overrides  template parameters, as sam deploy takes them (e.g. "AttemptTimeoutSeconds=3")
              --api-port             HTTP API port (default: $RUNLANE_API_PORT or 3000)
              --edge-port            AWS endpoint port (default: $RUNLANE_EDGE_PORT or 4566)
              --console-port         web console port (default: $RUNLANE_CONSOLE_PORT or 3001)
              --faults               a JSON file of faults to inject from the start (as POST /_runlane/faults takes them)
              --raw-logs             print the functions' JSON log lines as they wrote them (default: one readable line each)
              --verbose              print every line: each request, invocation (REPORT) and sandbox start-up too
                                     (default: the runs' lines, warnings and errors)
            """;
    private static boolean rawLogs;
    private static boolean verbose;

    private Main() {}

    public static void main(String[] args) {
        // one line per log record (sandbox output, REPORT lines), like the rest of the console
        System.setProperty("java.util.logging.SimpleFormatter.format",
                System.getProperty("java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %5$s%6$s%n"));
        Path template = Path.of("template.yaml");
        String overrides = "";
        int apiPort = envPort("RUNLANE_API_PORT", 3000);
        int edgePort = envPort("RUNLANE_EDGE_PORT", 4566);
        int consolePort = envPort("RUNLANE_CONSOLE_PORT", 3001);
        Path faultsFile = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--template" -> template = Path.of(value(args, ++i));
                    case "--parameter-overrides" -> overrides = overrides + " " + value(args, ++i);
                    case "--api-port" -> apiPort = Integer.parseInt(value(args, ++i));
                    case "--edge-port" -> edgePort = Integer.parseInt(value(args, ++i));
                    case "--console-port" -> consolePort = Integer.parseInt(value(args, ++i));
                    case "--faults" -> faultsFile = Path.of(value(args, ++i));
                    case "--raw-logs" -> rawLogs = true;
                    case "--verbose" -> verbose = true;
                    case "-h", "--help" -> {
                        System.out.print(USAGE);
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown argument " + args[i] + "\n" + USAGE);
                }
            }
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
        }

        for (Handler console : Logger.getLogger("").getHandlers()) {
            if (!rawLogs) {
                console.setFormatter(LogView.formatter());
            }
            if (!verbose) {
                console.setFilter(record -> !LogView.routine(record.getMessage()));
            }
        }
        List<Fault> faults = faultsFile == null ? List.of() : readFaults(faultsFile); // before anything starts
        int maxSandboxes = envPort("RUNLANE_MAX_SANDBOXES", LocalCloud.Options.defaultSandboxes());
        LocalCloud cloud;
        try {
            Map<String, String> parameters = Parameters.parseOverrides(overrides);
            cloud = LocalCloud.start(new LocalCloud.Options(template, parameters, apiPort, edgePort, maxSandboxes, null, Main::log,
                    consolePort));
        } catch (TemplateException | LocalCloud.StartException | MotoServer.MotoException e) {
            fail(e.getMessage());
            return;
        } catch (RuntimeException e) {
            fail("cannot start the local cloud: " + e);
            return;
        }
        List<ArmedFault> armed = List.of();
        try {
            armed = cloud.faults().add(faults);
        } catch (InvalidFaultException e) {
            cloud.close();
            fail(faultsFile + ": " + e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("stopping");
            cloud.close();
            stopped.countDown();
        }, "runlane-stop"));
        printBanner(cloud, armed);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<Fault> readFaults(Path file) {
        try {
            return FaultJson.parse(Files.readString(file));
        } catch (IOException e) {
            fail("cannot read the faults file " + file + ": " + e);
        } catch (InvalidFaultException e) {
            fail(file + ": " + e.getMessage());
        }
        return List.of();
    }

    private static void printBanner(LocalCloud cloud, List<ArmedFault> faults) {
        String api = cloud.apiUri().toString();
        String edge = cloud.edgeUri().toString();
        var stack = cloud.stack();
        System.out.printf("""

                runlane local cloud is up: %d functions, %d routes, %d tables, %d queues, %d state machine(s)
                  API      %s
                  console  %s   (threads, thread timelines, run graphs)
                  edge     %s   (AWS endpoint: aws --endpoint-url %s --region us-east-1 ...; IAM auth is not enforced)
                """, stack.functions().size(), stack.routes().size(), stack.tables().size(), stack.queues().size(),
                stack.stateMachines().size(), api, cloud.consoleUri(), edge, edge);
        boolean hasStartRun = stack.routes().stream().anyMatch(r -> r.routeKey().equals("POST /threads/{threadId}/runs"));
        if (hasStartRun) {
            System.out.printf("""
                    try:
                      API=%s
                      curl -s -X POST $API/threads/t1/runs -H 'content-type: application/json' -d '{"target":"hosted","input":{"agent":"echo","message":"hi"}}'
                    """, api);
        }
        stack.stateMachines().forEach(m -> System.out.printf(
                "  aws --endpoint-url %s --region us-east-1 stepfunctions list-executions --state-machine-arn %s%n", edge, m.arn()));
        System.out.printf("  faults %s/_runlane/faults   (%d active from --faults; GET lists, POST adds, DELETE clears)%n", edge, faults.size());
        faults.forEach(f -> System.out.println("    " + f));
        System.out.println(verbose ? "Ctrl-C stops everything." : "Below: the runs' log lines, warnings and errors (--verbose: every"
                + " request, invocation and sandbox start-up). Ctrl-C stops everything.");
        System.out.flush();
    }

    static void log(String line) {
        if (verbose || !LogView.routine(line)) {
            System.err.println(LocalTime.now().format(CLOCK) + " " + line);
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int envPort(String variable, int fallback) {
        String value = System.getenv(variable);
        try {
            return value == null || value.isBlank() ? fallback : Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            fail(variable + "=" + value + " is not a number");
            return fallback;
        }
    }

    private static void fail(String message) {
        System.err.println("runlane: " + message);
        System.exit(1);
    }
}
