package dev.runlane.daemon;

import dev.runlane.runs.RunIds;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code runlane watch <runId>}: prints a run's events live, by long-polling
 * {@code GET /runs/{runId}/events}, until the run has ended. Read-only and unauthenticated: it suits the
 * local cloud (a deployed stack's API wants SigV4-signed calls, which this does not make).
 */
@Command(name = "runlane watch", usageHelpWidth = 100, sortOptions = false,
        customSynopsis = "runlane watch RUN_ID [--api-url URL] [--wait-seconds N]",
        description = {
                "",
                "Prints the run's status line, then each of its events as it is written (time, attempt, type, data"
                        + " as compact JSON), a new status line whenever the status changes or a new attempt begins"
                        + " (after the failed attempt's error event, or a line saying it recorded none), and a last line"
                        + " when the run has ended, with its error if it has one. Ctrl-C stops watching (the run goes on)."},
        optionListHeading = "%nOptions:%n",
        footer = {"", "Exit codes: 0 the run SUCCEEDED, 1 it ended otherwise (FAILED, CANCELLED, TIMED_OUT, EXPIRED,"
                + " REJECTED), 2 bad arguments or the API refused (its error is printed), 3 the API could not be"
                + " reached (after a few retries)."})
public final class Watch {

    public static final int EXIT_SUCCEEDED = 0;
    public static final int EXIT_ENDED_OTHERWISE = 1;
    public static final int EXIT_REFUSED = 2;
    public static final int EXIT_UNREACHABLE = 3;

    static final String API_URL_ENV = "RUNLANE_API_URL";
    static final String DEFAULT_API_URL = "http://127.0.0.1:3000";
    /** Waits before each retry of a connection failure or a 5xx; then it gives up. */
    static final List<Duration> RETRY_DELAYS = List.of(
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration MIN_EMPTY_POLL = Duration.ofSeconds(1);

    @Parameters(index = "0", paramLabel = "RUN_ID", description = "the run to watch")
    private String runId;

    @Option(names = "--api-url", paramLabel = "URL",
            description = {"the runlane API", "default: env " + API_URL_ENV + ", else " + DEFAULT_API_URL})
    private String apiUrlOption;

    @Option(names = "--wait-seconds", paramLabel = "N", defaultValue = "20",
            description = {"how long one poll waits for an event, 0..20", "default 20"})
    private int waitSeconds;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this text")
    private boolean help;

    private URI api;
    private HttpClient http;
    private PrintStream out;
    private PrintStream err;
    private List<Duration> retryDelays;
    /** The newest attempt a line has shown (a status line or an event). */
    private int shownAttempt;
    /** The attempts whose error event was shown. */
    private final Set<Integer> failedAttempts = new HashSet<>();

    /** The API refused a call (a 4xx, or an answer that is not the contract's): not worth retrying. */
    private static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    /** Connection failures or 5xx answers that outlasted the retries. */
    private static final class Unreachable extends Exception {
        Unreachable(String message) {
            super(message);
        }
    }

    private Watch() {
    }

    public static void main(String[] args) throws InterruptedException {
        // No shutdown hook: there is nothing to undo, so Ctrl-C simply ends the JVM.
        System.exit(run(args, System.getenv(), System.out, System.err, RETRY_DELAYS));
    }

    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, List<Duration> retryDelays)
            throws InterruptedException {
        Watch watch = new Watch();
        CommandLine cli = new CommandLine(watch);
        cli.setInterpolateVariables(false);
        cli.setExpandAtFiles(false);
        String usage = cli.getUsageMessage(CommandLine.Help.Ansi.OFF);
        try {
            cli.parseArgs(args);
        } catch (ParameterException e) {
            // "--bogus --help" asks for help, not for an error about --bogus.
            if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
                out.print(usage);
                return 0;
            }
            return usageError(err, Log.oneLine(e.getMessage()));
        }
        if (cli.isUsageHelpRequested()) {
            out.print(usage);
            return 0;
        }
        if (watch.waitSeconds < 0 || watch.waitSeconds > DaemonConfig.MAX_POLL_WAIT_SECONDS) {
            return usageError(err, "--wait-seconds must be between 0 and " + DaemonConfig.MAX_POLL_WAIT_SECONDS
                    + " (got " + watch.waitSeconds + ")");
        }
        // The server's rule for ids: a run id it could never have issued is a typo, said here, not a 404.
        if (!RunIds.isValid(watch.runId)) {
            return usageError(err, "RUN_ID must be " + RunIds.RULE + " (got '" + Log.oneLine(watch.runId) + "')");
        }
        String url = watch.apiUrlOption != null ? watch.apiUrlOption
                : env.getOrDefault(API_URL_ENV, "").isBlank() ? DEFAULT_API_URL : env.get(API_URL_ENV);
        try {
            watch.api = DaemonConfig.apiUrl(url);
        } catch (DaemonConfig.ConfigException e) {
            return usageError(err, e.getMessage());
        }
        watch.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        watch.out = out;
        watch.err = err;
        watch.retryDelays = retryDelays;
        try {
            return watch.watch();
        } catch (Refused e) {
            err.println("runlane watch: " + Log.oneLine(e.getMessage()));
            return EXIT_REFUSED;
        } catch (Unreachable e) {
            err.println("runlane watch: giving up: " + Log.oneLine(e.getMessage()));
            return EXIT_UNREACHABLE;
        }
    }

    private static int usageError(PrintStream err, String message) {
        err.println("runlane watch: " + message);
        err.println("usage: runlane watch RUN_ID [--api-url URL] [--wait-seconds N]; --help says more");
        return EXIT_REFUSED;
    }

    private int watch() throws Refused, Unreachable, InterruptedException {
        String runPath = "/runs/" + encode(runId);
        JsonNode run = get(runPath, CALL_TIMEOUT);
        printStatus(run);
        String shown = run.path("status").asText();
        String cursor = null;
        while (true) {
            String query = "?waitSeconds=" + waitSeconds + (cursor == null ? "" : "&after=" + encode(cursor));
            long polled = System.nanoTime();
            JsonNode page = get(runPath + "/events" + query, CALL_TIMEOUT.plusSeconds(waitSeconds));
            JsonNode events = page.path("events");
            if (!events.isArray()) {
                throw new Refused("GET " + runPath + "/events answered without an events array");
            }
            String status = page.path("status").asText();
            boolean ended = page.path("ended").asBoolean(false);
            // Before the page's events: they were written under the new status (QUEUED to RUNNING). The page
            // has the status only; the run has the attempt. An end is said by the final line instead.
            if (!ended && !status.equals(shown)) {
                printStatus(get(runPath, CALL_TIMEOUT));
                shown = status;
            }
            for (JsonNode event : events) {
                printEvent(event);
            }
            // The cursor is null only while the run has no event: then the next poll asks from the first again.
            if (page.path("cursor").isTextual()) {
                cursor = page.get("cursor").asText();
            }
            // One page may not hold all of an ended run's last events: it is over at the first empty one.
            if (ended && events.isEmpty()) {
                print(finalLine(status, get(runPath, CALL_TIMEOUT)));
                return status.equals("SUCCEEDED") ? EXIT_SUCCEEDED : EXIT_ENDED_OTHERWISE;
            }
            // An empty page that came back at once (--wait-seconds 0): poll at most once a second, not in a spin.
            long early = MIN_EMPTY_POLL.toNanos() - (System.nanoTime() - polled);
            if (events.isEmpty() && !ended && early > 0) {
                Thread.sleep(Duration.ofNanos(early));
            }
        }
    }

    private String threadId = "?";

    private void printStatus(JsonNode run) {
        threadId = run.path("threadId").asText("?");
        shownAttempt = Math.max(shownAttempt, run.path("attempts").asInt(0));
        print("run " + runId + " on thread " + threadId + ": " + run.path("status").asText("?") + attempt(run));
    }

    /**
     * An event; one of a newer attempt than shown so far comes after a status line for that attempt, and after a
     * line for each attempt before it that ended without an error event (a timeout or a crash writes none).
     */
    private void printEvent(JsonNode event) {
        int attempt = event.path("attempt").asInt(0);
        if (attempt > shownAttempt) {
            for (int earlier = Math.max(1, shownAttempt); earlier < attempt; earlier++) {
                if (!failedAttempts.contains(earlier)) {
                    print("attempt " + earlier + " failed without recording an error (it timed out or its sandbox"
                            + " stopped: the execution history has its error)");
                }
            }
            shownAttempt = attempt;
            // An attempt writes its events while its run is RUNNING, whatever the status is by now.
            print("run " + runId + " on thread " + threadId + ": RUNNING (attempt " + attempt + ")");
        }
        if ("error".equals(event.path("type").asText())) {
            failedAttempts.add(attempt);
        }
        print(eventLine(event));
    }

    /** The ended page's status (what ended the watch), the run's attempt and error. */
    private String finalLine(String status, JsonNode run) {
        StringBuilder line = new StringBuilder("run " + runId + " ended: " + status + attempt(run));
        JsonNode error = run.path("error");
        if (error.isObject()) {
            line.append(", error ").append(error.path("code").asText("?")).append(": ")
                    .append(error.path("message").asText(""));
        }
        return line.toString();
    }

    private static String attempt(JsonNode run) {
        int attempts = run.path("attempts").asInt(0);
        return attempts > 0 ? " (attempt " + attempts + ")" : "";
    }

    private static String eventLine(JsonNode event) {
        JsonNode data = event.path("data");
        return event.path("time").asText("?") + " attempt " + event.path("attempt").asText("?") + " "
                + event.path("type").asText("?") + (data.isMissingNode() || data.isNull() ? "" : " " + data);
    }

    /** Every line is one line whatever the server sends (JsonNode's toString is compact JSON). */
    private void print(String line) {
        out.println(Log.oneLine(line));
        out.flush();
    }

    /**
     * A GET that answers 200 with a JSON object; connection failures, 408, 429 and 5xx are retried, a long poll
     * refused for its caller's cap (429 TooManyLongPolls) after its Retry-After and without end.
     */
    private JsonNode get(String pathAndQuery, Duration timeout) throws Refused, Unreachable, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(api + pathAndQuery))
                .timeout(timeout)
                .header("Accept", "application/json")
                .GET()
                .build();
        for (int retry = 0; ; retry++) {
            String problem;
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status == 200) {
                    return object(response, pathAndQuery);
                }
                if (status < 500 && status != 408 && status != 429) {
                    throw new Refused(refusal(response));
                }
                if (status == 429 && response.body().contains("\"TooManyLongPolls\"")) {
                    // This caller's other long polls hold all its slots: one frees within a poll's wait. Not a failure.
                    long seconds = Math.max(1, Math.min(response.headers().firstValueAsLong("retry-after").orElse(2), 20));
                    err.println(Log.oneLine("runlane watch: " + refusal(response) + "; polling again in " + seconds + " s"));
                    Thread.sleep(seconds * 1000);
                    retry--;
                    continue;
                }
                problem = "answered " + refusal(response);
            } catch (IOException e) {
                problem = "cannot be reached (" + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")";
            }
            if (retry == retryDelays.size()) {
                throw new Unreachable("the API at " + api + " " + problem);
            }
            Duration delay = retryDelays.get(retry);
            err.println(Log.oneLine("runlane watch: the API at " + api + " " + problem + "; retrying in "
                    + delay.toMillis() + " ms (" + (retry + 1) + "/" + retryDelays.size() + ")"));
            Thread.sleep(delay.toMillis());
        }
    }

    private static JsonNode object(HttpResponse<String> response, String pathAndQuery) throws Refused {
        try {
            JsonNode body = JSON.readTree(response.body());
            if (body != null && body.isObject()) {
                return body;
            }
        } catch (JsonProcessingException e) {
            // Said below.
        }
        throw new Refused("GET " + pathAndQuery.replaceFirst("\\?.*", "") + " answered 200 without a JSON object");
    }

    /** "404 RunNotFound: no run r1": the contract's error; else the status and what the body says. */
    private static String refusal(HttpResponse<String> response) {
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            body = null;
        }
        JsonNode error = body == null ? JSON.missingNode() : body.path("error");
        if (error.path("code").isTextual()) {
            return response.statusCode() + " " + error.get("code").asText() + ": " + error.path("message").asText("");
        }
        // API Gateway's own refusals are {"message":"..."}.
        if (body != null && body.path("message").isTextual()) {
            return response.statusCode() + ": " + body.get("message").asText();
        }
        String text = response.body() == null ? "" : response.body().strip();
        return response.statusCode() + (text.isEmpty() ? "" : ": " + (text.length() > 200 ? text.substring(0, 200) + "..." : text));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
