package dev.runlane.daemon;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One run's command: {@code sh -c <command>} in the thread's working directory with the run's input on
 * stdin; heartbeats go out while it runs, and its exit is reported as {@code succeeded} (output: the last
 * stdout line, as JSON when it parses) or {@code failed}. Every stdout line but the output is reported as
 * progress, {@code {"json": value}} for a line that is one JSON value, else {@code {"line": text}}: a line
 * is held until the command prints the next one, exits, or stays quiet for {@link #PROGRESS_LINGER}, so
 * the last line, printed just before the exit, is recorded once, as the output (on a failure it is
 * reported as progress before the end).
 * Once abandoned (cancel frame, a 409/404 on any report, a newer token for the directory, daemon stop)
 * the process tree is killed and nothing more is reported for the run.
 *
 * <p>A run it cannot heartbeat is abandoned too: the server times the run out once no report reached it for
 * the stack's heartbeat window (the start frame names it), and the thread's next run may then start, so a
 * command still running would work beside it. Once no report was accepted for {@code stopAfter} (the window
 * less the kill grace: the tree is gone when the window ends), measured from when the last accepted report
 * was sent on a {@link MonotonicClock} that counts a stopped process or a suspended machine, the command is
 * killed; on resuming from a stop or a suspend that is the first thing done for the run, before any report.
 * This is the client half of fencing, not a lease: the server waits for none of it.
 */
public final class CommandRun {

    /** How a run talks to the rest of the daemon. */
    public record Settings(String command, Duration heartbeat, Duration killGrace, Duration retryFirst,
                           Duration retryCap, Runnable onCredentialRejected, Duration progressLinger) {
    }

    /**
     * How long a stdout line may wait for the next one before it is reported as progress. A line the command
     * printed last (its output) is not reported as progress when the command exits within it.
     */
    public static final Duration PROGRESS_LINGER = Duration.ofSeconds(1);
    /** Stdout lines read but not yet reported: the pump waits (the command blocks on its pipe) beyond it. */
    private static final int PENDING_LINES = 1_000;

    static final int MAX_PROGRESS_LINE_CHARS = 32 * 1024;
    /** The daemon API takes report bodies up to 256 KiB. */
    static final int MAX_REPORT_BYTES = 256 * 1024;
    private static final int PROGRESS_ATTEMPTS = 3;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final RunRef ref;
    private final Path dir;
    private final JsonNode input;
    private final Reporter reporter;
    private final Log log;
    private final Settings settings;

    private final CountDownLatch heartbeatsStop = new CountDownLatch(1);
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final CompletableFuture<Boolean> killed = new CompletableFuture<>();
    private final Duration window;
    private final long stopAfter;
    private final AtomicLong lastAccepted;
    private volatile boolean abandoned;
    private boolean killStarted;
    /** Whether the kill left no process of the tree running; null until it has ended. */
    private volatile Boolean killedAll;
    private volatile String lastStdout;
    /** The last stdout line when it was not reported as progress (set once stdout has ended): the output. */
    private volatile String unreported;
    private final BlockingQueue<Line> lines = new ArrayBlockingQueue<>(PENDING_LINES);
    private volatile String lastStderr;
    private Process process;

    /**
     * @param window     the stack's heartbeat window, from the start frame; zero when it names none (an older
     *                   server): then the command is never stopped for want of heartbeats
     * @param acceptedAt when ({@link MonotonicClock}) the run's last accepted report, its pre-start heartbeat, was sent
     */
    public CommandRun(RunRef ref, Path dir, JsonNode input, Reporter reporter, Log log, Settings settings,
                      Duration window, long acceptedAt) {
        this.ref = ref;
        this.dir = dir;
        this.input = input;
        this.reporter = reporter;
        this.log = log;
        this.settings = settings;
        this.window = window;
        this.stopAfter = stopAfter(window, settings.killGrace()).toNanos();
        this.lastAccepted = new AtomicLong(acceptedAt);
    }

    /**
     * How long a run may go without an accepted report before its command is killed: the window less the kill
     * grace (SIGTERM, the grace, SIGKILL), so the tree is gone as the server times the run out; at least half
     * the window, so that a long grace does not kill between heartbeats.
     */
    static Duration stopAfter(Duration window, Duration killGrace) {
        Duration early = window.minus(killGrace);
        Duration half = window.dividedBy(2);
        return early.compareTo(half) > 0 ? early : half;
    }

    public RunRef ref() {
        return ref;
    }

    /** Starts the command and the threads that feed it, read it, heartbeat and report its end. */
    public synchronized void start() throws IOException {
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", settings.command()).directory(dir.toFile());
        Map<String, String> env = builder.environment();
        env.put("RUNLANE_RUN_ID", ref.runId());
        env.put("RUNLANE_THREAD_ID", ref.threadId());
        env.put("RUNLANE_FENCE_TOKEN", Long.toString(ref.fenceToken()));
        // The daemon's credential is never handed to the command.
        env.remove(DaemonConfig.CREDENTIAL_ENV);
        env.remove("RUNLANE_DAEMON_CREDENTIAL_FILE");
        process = builder.start();
        log.info(ref + ": started '" + settings.command() + "' in " + dir + " (pid " + process.pid() + ")");

        Thread.ofVirtual().name("stdin-" + ref.runId()).start(this::feedInput);
        Thread stdout = Thread.ofPlatform().daemon().name("stdout-" + ref.runId()).start(this::pumpStdout);
        Thread progress = Thread.ofVirtual().name("progress-" + ref.runId()).start(this::reportLines);
        Thread stderr = Thread.ofPlatform().daemon().name("stderr-" + ref.runId()).start(this::pumpStderr);
        Thread.ofVirtual().name("heartbeat-" + ref.runId()).start(this::heartbeat);
        if (stopAfter > 0) {
            Thread.ofVirtual().name("watchdog-" + ref.runId()).start(this::watchdog);
        }
        Thread.ofVirtual().name("exit-" + ref.runId()).start(() -> awaitExit(stdout, progress, stderr));
    }

    /** Whether the command's process is still alive. */
    public synchronized boolean isProcessAlive() {
        return process != null && process.isAlive();
    }

    /**
     * Whether a process of the command may still run: its shell, or, once a kill began, any process of its tree
     * until the kill has seen them all gone. No other command may start in its directory meanwhile.
     */
    public synchronized boolean mayStillRun() {
        return isProcessAlive() || killStarted && !Boolean.TRUE.equals(killedAll);
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** The command's process, once started. */
    public synchronized ProcessHandle handle() {
        return process.toHandle();
    }

    /** Completes once the run is over for this daemon: its end reported, or abandoned and killed. */
    public CompletableFuture<Void> ended() {
        return ended;
    }

    /**
     * Stops reporting for the run and kills its process tree; returns once the tree is gone (or the
     * bounded wait for it ended). Safe to call more than once and from any thread.
     */
    public void abandon(String reason) {
        abandoned = true;
        boolean first;
        synchronized (this) {
            first = !killStarted;
            killStarted = true;
        }
        if (first) {
            heartbeatsStop.countDown();
            log.info(ref + ": abandoned (" + reason + "), killing its process tree");
            Thread.ofVirtual().name("kill-" + ref.runId()).start(() -> {
                boolean gone = true;
                Process p;
                synchronized (this) {
                    p = process;
                }
                if (p != null) {
                    gone = ProcessTree.kill(p, settings.killGrace());
                }
                if (gone) {
                    log.info(ref + ": killed");
                } else {
                    log.error(ref + ": some processes of the run survived SIGKILL");
                }
                // ended first: its callbacks (forgetting the run) finish before abandon() returns.
                killedAll = gone;
                ended.complete(null);
                killed.complete(gone);
            });
        }
        try {
            killed.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // never completed exceptionally
        }
    }

    public boolean isAbandoned() {
        return abandoned;
    }

    private void feedInput() {
        try (OutputStream stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(JSON.writeValueAsBytes(input));
            }
        } catch (IOException e) {
            // The command does not read its input (closed stdin early): that is its business.
        }
    }

    /** A stdout line, or the end of stdout ({@code text} null). */
    private record Line(String text) {
        static final Line END = new Line(null);
    }

    private void pumpStdout() {
        try (BufferedReader out = reader(process.getInputStream())) {
            String line;
            while ((line = out.readLine()) != null) {
                lastStdout = line;
                lines.put(new Line(line));
            }
        } catch (IOException e) {
            if (!abandoned) {
                log.warn(ref + ": reading the command's stdout failed: " + e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // Always: the reporter ends on it (it takes every line, so there is room for it soon).
            boolean interrupted = false;
            while (true) {
                try {
                    lines.put(Line.END);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Reports stdout lines as progress, in order, each once the next one came or it was the newest for
     * {@code progressLinger}; leaves the last one in {@link #unreported} if it was still held when stdout ended.
     */
    private void reportLines() {
        String held = null;
        try {
            while (true) {
                Line next = held == null ? lines.take() : lines.poll(settings.progressLinger().toNanos(), TimeUnit.NANOSECONDS);
                if (next == null) {
                    sendProgress(progress(held));
                    held = null;
                } else if (next == Line.END) {
                    unreported = held;
                    return;
                } else {
                    if (held != null) {
                        sendProgress(progress(held));
                    }
                    held = next.text();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ObjectNode progress(String line) {
        ObjectNode body = body("progress");
        body.set("data", progressData(line));
        return body;
    }

    /**
     * A progress event's data for one stdout line: {@code {"json": value}} when it is one JSON value, else
     * {@code {"line": text}}; a line over {@link #MAX_PROGRESS_LINE_CHARS} is cut, so it is text.
     */
    static ObjectNode progressData(String line) {
        ObjectNode data = JSON.createObjectNode();
        if (line.length() > MAX_PROGRESS_LINE_CHARS) {
            return data.put("line", line.substring(0, MAX_PROGRESS_LINE_CHARS));
        }
        Optional<JsonNode> value = json(line);
        if (value.isPresent()) {
            data.set("json", value.get());
            return data;
        }
        return data.put("line", line);
    }

    private void pumpStderr() {
        try (BufferedReader err = reader(process.getErrorStream())) {
            String line;
            while ((line = err.readLine()) != null) {
                if (!line.isBlank()) {
                    lastStderr = line;
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    private void heartbeat() {
        try {
            while (!heartbeatsStop.await(settings.heartbeat().toMillis(), TimeUnit.MILLISECONDS)) {
                if (abandoned || stoppedAsOverdue()) {
                    return;
                }
                try {
                    report("heartbeat", body("heartbeat"));
                } catch (IOException e) {
                    log.warn(ref + ": heartbeat not sent (" + describe(e) + "), next in " + settings.heartbeat().toSeconds() + "s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the command once no report was accepted for {@code stopAfter}; ends with the command. */
    private void watchdog() {
        try {
            while (!abandoned && !stoppedAsOverdue()) {
                long left = lastAccepted.get() + stopAfter - MonotonicClock.nanos();
                // Short steps: after a stop or a suspend, the check comes at once, whatever the clock the wait uses.
                if (heartbeatsStop.await(Math.clamp(TimeUnit.NANOSECONDS.toMillis(left) + 1, 1, 250), TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Abandons the run (kills its command) when no report was accepted for {@code stopAfter}; true when it did or
     * had: nothing more may be sent for the run. Checked before every heartbeat and progress report.
     */
    private boolean stoppedAsOverdue() {
        long since = MonotonicClock.nanos() - lastAccepted.get();
        if (stopAfter <= 0 || since <= stopAfter) {
            return abandoned;
        }
        if (!abandoned) {
            abandonAsync(String.format("no report accepted for %.1fs: the server times the run out %ds after its last "
                    + "heartbeat, and the thread's next run may start", since / 1e9, window.toSeconds()));
        }
        return true;
    }

    /** Sends a report that heartbeats the run; a 202 restarts the window from when it was sent. */
    private boolean report(String type, ObjectNode body) throws IOException, InterruptedException {
        long sentAt = MonotonicClock.nanos();
        boolean accepted = handle(type, reporter.report(ref.runId(), body));
        if (accepted) {
            lastAccepted.accumulateAndGet(sentAt, (last, sent) -> sent - last > 0 ? sent : last);
        }
        return accepted;
    }

    private void awaitExit(Thread stdout, Thread progress, Thread stderr) {
        try {
            int code = process.waitFor();
            // Everything the command printed is reported before its end.
            stdout.join();
            progress.join();
            stderr.join(Duration.ofSeconds(5));
            heartbeatsStop.countDown();
            if (abandoned) {
                return;
            }
            ObjectNode succeeded = body("succeeded");
            succeeded.set("output", output(lastStdout));
            int size = JSON.writeValueAsBytes(succeeded).length;
            if (code == 0 && size <= MAX_REPORT_BYTES) {
                log.info(ref + ": exited 0, reporting succeeded");
                sendFinal("succeeded", succeeded);
            } else if (code == 0) {
                String message = "the output (last stdout line) makes a " + size + " byte report; the API takes up to "
                        + MAX_REPORT_BYTES;
                ObjectNode body = body("failed");
                body.putObject("error").put("code", "OutputTooLarge").put("message", message);
                log.info(ref + ": exited 0 but " + message + ", reporting failed");
                sendFinal("failed", body);
            } else {
                if (unreported != null) {
                    sendProgress(progress(unreported)); // not an output: the line is progress like the others
                }
                String message = "exit code " + code + (lastStderr == null ? "" : ": " + lastStderr);
                ObjectNode body = body("failed");
                body.putObject("error").put("code", "CommandFailed").put("message", message);
                log.info(ref + ": " + message + ", reporting failed");
                sendFinal("failed", body);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.error(ref + ": cannot build the end report: " + describe(e));
        } finally {
            if (!abandoned) {
                ended.complete(null);
            }
        }
    }

    /** The last stdout line as JSON when it is one JSON value, else as a JSON string; null without output. */
    static JsonNode output(String lastLine) {
        return lastLine == null ? NullNode.instance : json(lastLine).orElse(TextNode.valueOf(lastLine));
    }

    /** The line as one JSON value, if it is one (blanks around it allowed, nothing after it). */
    static Optional<JsonNode> json(String line) {
        try {
            JsonNode parsed = JSON.readTree(line);
            return parsed == null || parsed.isMissingNode() ? Optional.empty() : Optional.of(parsed);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void sendProgress(ObjectNode body) {
        Backoff backoff = new Backoff(settings.retryFirst(), settings.retryCap());
        for (int attempt = 1; attempt <= PROGRESS_ATTEMPTS && !abandoned && !stoppedAsOverdue(); attempt++) {
            try {
                report("progress", body);
                return;
            } catch (IOException e) {
                if (attempt == PROGRESS_ATTEMPTS) {
                    log.warn(ref + ": progress line dropped after " + attempt + " attempts (" + describe(e) + ")");
                } else if (!pause(backoff.next())) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void sendFinal(String type, ObjectNode body) throws InterruptedException {
        Backoff backoff = new Backoff(settings.retryFirst(), settings.retryCap());
        while (!abandoned) {
            try {
                if (handle(type, reporter.report(ref.runId(), body))) {
                    log.info(ref + ": reported " + type);
                }
                return;
            } catch (IOException e) {
                Duration wait = backoff.next();
                log.warn(ref + ": " + type + " not reported (" + describe(e) + "), retrying in " + wait.toMillis() + "ms");
                if (!pause(wait)) {
                    return;
                }
            }
        }
    }

    /** Acts on a definitive answer; true when the report was accepted. */
    private boolean handle(String type, Reporter.Result result) {
        switch (result.outcome()) {
            case ACCEPTED -> {
                return true;
            }
            case FENCED_OUT, UNKNOWN_RUN, NOT_OURS -> {
                if (!abandoned) {
                    log.warn(ref + ": the API answered " + Log.oneLine(result.toString()) + " to " + type
                            + ", abandoning the run");
                    abandonAsync("API answered " + result.status() + " to " + type);
                }
                return false;
            }
            case CREDENTIAL_REJECTED -> {
                log.error(ref + ": the API rejected the daemon's credential (" + Log.oneLine(result.toString())
                        + ") on " + type);
                abandonAsync("credential rejected");
                settings.onCredentialRejected().run();
                return false;
            }
            default -> {
                log.warn(ref + ": the API refused the " + type + " report: " + Log.oneLine(result.toString()));
                return false;
            }
        }
    }

    /** Abandons without blocking the calling pump (the kill itself runs in its own thread). */
    private void abandonAsync(String reason) {
        // Reporting stops at once, not once the kill thread got going.
        abandoned = true;
        Thread.ofVirtual().name("abandon-" + ref.runId()).start(() -> abandon(reason));
    }

    private boolean pause(Duration d) {
        try {
            return !abandonedWithin(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean abandonedWithin(Duration d) throws InterruptedException {
        long deadline = System.nanoTime() + d.toNanos();
        while (!abandoned) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 100));
        }
        return true;
    }

    private ObjectNode body(String type) {
        return JSON.createObjectNode().put("type", type).put("fenceToken", ref.fenceToken());
    }

    private static BufferedReader reader(InputStream in) {
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return Log.oneLine(e.getClass().getSimpleName() + (m == null ? "" : ": " + m));
    }
}
