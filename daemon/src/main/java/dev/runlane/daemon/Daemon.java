package dev.runlane.daemon;

import dev.runlane.runs.RunIds;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's loop: polls its frames (a long poll while active: a command running or a frame within the
 * last minute; else every {@code --idle-poll-seconds}) and hands each to its thread's lane, where a start frame is
 * fenced ({@link FenceBook}, per backend epoch), supersedes a stale command still running in the directory,
 * and starts a {@link CommandRun} once the API has accepted the run's {@link PreStartHeartbeat}; a start frame
 * the fence refuses runs nothing and fails its run at once; a cancel frame abandons the run. Frames are
 * acknowledged once handled. Network errors are retried with capped backoff; a rejected credential stops the
 * daemon.
 */
public final class Daemon implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REMEMBERED_CANCELS = 10_000;
    /**
     * How long after its last frame or command the daemon keeps long-polling. Past it, idle, it polls
     * without waiting every {@code --idle-poll-seconds}: a held long poll bills the frames function for
     * its whole wait, all month long, while a start waits at most one idle interval.
     */
    private static final Duration ACTIVE_WINDOW = Duration.ofSeconds(60);

    private final DaemonConfig config;
    private final Duration activeWindow;
    private final ApiClient api;
    private final Log log;
    private final Duration retryFirst;
    private final Duration retryCap;
    private final FenceBook fences;
    private final WorkingDirectories directories;
    private final RunningRecords running;
    private final RootLock rootLock;
    private final ExecutorService lanes = Executors.newVirtualThreadPerTaskExecutor();
    private final CommandRun.Settings runSettings;
    private final PreStartHeartbeat preStartHeartbeat;
    private final Set<String> cancelled = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_CANCELS;
        }
    });
    private final Object lifecycle = new Object();

    private volatile boolean stopping;
    private volatile String credentialRejected;
    private volatile Thread loop;

    public Daemon(DaemonConfig config, ApiClient api, Log log, Duration retryFirst, Duration retryCap) {
        this(config, api, log, retryFirst, retryCap, ACTIVE_WINDOW);
    }

    Daemon(DaemonConfig config, ApiClient api, Log log, Duration retryFirst, Duration retryCap, Duration activeWindow) {
        this.activeWindow = activeWindow;
        this.config = config;
        this.api = api;
        this.log = log;
        this.retryFirst = retryFirst;
        this.retryCap = retryCap;
        this.fences = new FenceBook(config.root());
        this.directories = new WorkingDirectories(config.root(), lanes);
        this.running = new RunningRecords(config.root(), log);
        this.rootLock = new RootLock(config.root());
        this.runSettings = new CommandRun.Settings(config.command(), Duration.ofSeconds(config.heartbeatSeconds()),
                Duration.ofSeconds(config.killGraceSeconds()), retryFirst, retryCap, this::credentialRejected);
        // Three heartbeat intervals: well inside the server's heartbeat window (60 s by default), which counts
        // from the dispatch; past it the run times out anyway.
        this.preStartHeartbeat = new PreStartHeartbeat(api, log, Duration.ofSeconds(3L * config.heartbeatSeconds()),
                retryFirst, retryCap, () -> stopping);
    }

    /**
     * Polls and handles frames until {@link #close()}.
     *
     * @throws ApiClient.CredentialRejected when the API answers 401/403: the credential is wrong
     */
    public void run() throws ApiClient.CredentialRejected, RootLock.RootInUse {
        rootLock.acquire();
        loop = Thread.currentThread();
        log.info("daemon " + config.daemonId() + " started: " + config);
        running.killLeftovers(Duration.ofSeconds(config.killGraceSeconds()));
        Backoff backoff = new Backoff(retryFirst, retryCap);
        String cursor = null;
        Instant activeUntil = Instant.now().plus(activeWindow);
        try {
            while (!stopping) {
                checkCredential();
                if (directories.busy()) {
                    activeUntil = Instant.now().plus(activeWindow);
                }
                boolean idle = config.idlePollSeconds() > 0 && Instant.now().isAfter(activeUntil);
                ApiClient.FramesPage page;
                try {
                    page = api.frames(cursor, idle ? 0 : config.pollWaitSeconds());
                    backoff.reset();
                } catch (IOException e) {
                    if (stopping) {
                        break;
                    }
                    Duration wait = backoff.next();
                    log.warn("polling frames failed (" + describe(e) + "), retrying in " + wait.toMillis() + "ms");
                    Thread.sleep(wait);
                    continue;
                }
                for (Frame frame : page.frames()) {
                    dispatch(frame);
                }
                cursor = page.cursor();
                if (!page.frames().isEmpty()) {
                    activeUntil = Instant.now().plus(activeWindow);
                } else if (idle) {
                    Thread.sleep(Duration.ofSeconds(config.idlePollSeconds()));
                }
            }
        } catch (InterruptedException e) {
            // close() or a rejected credential
        } finally {
            loop = null;
            // An interrupt meant for the poll must not hit the caller's next wait (close()).
            Thread.interrupted();
        }
        checkCredential();
        log.info("daemon " + config.daemonId() + " stopped polling");
    }

    /** Stops polling and kills every command still running; nothing more is reported. Idempotent. */
    @Override
    public void close() {
        List<CommandRun> runs;
        synchronized (lifecycle) {
            stopping = true;
            runs = directories.all();
        }
        Thread t = loop;
        if (t != null) {
            t.interrupt();
        }
        List<CompletableFuture<Void>> kills = new ArrayList<>();
        for (CommandRun run : runs) {
            // Also a run whose command has exited and whose end is still being reported: no more reports.
            kills.add(CompletableFuture.runAsync(() -> run.abandon("daemon stopping"), Thread::startVirtualThread));
        }
        try {
            CompletableFuture.allOf(kills.toArray(CompletableFuture[]::new))
                    .get(config.killGraceSeconds() + 15L, TimeUnit.SECONDS);
            directories.idle().get(config.killGraceSeconds() + 15L, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("stopping: gave up waiting for commands to end (" + describe(e) + ")");
        }
        lanes.shutdown();
        rootLock.release();
    }

    /** The highest fence token admitted for a thread's directory from frames without an epoch (for tests and diagnostics). */
    public Optional<FenceBook.Entry> highestToken(String threadId) {
        return fences.highest(threadId);
    }

    /** The highest fence token admitted for a thread's directory in a backend epoch (for tests and diagnostics). */
    public Optional<FenceBook.Entry> highestToken(String threadId, String epoch) {
        return fences.highest(threadId, epoch);
    }

    private void dispatch(Frame frame) {
        if (frame.frameId() == null) {
            log.warn("ignored a frame without frameId (kind " + Log.oneLine(frame.kind()) + ", run "
                    + Log.oneLine(frame.runId()) + ")");
            return;
        }
        RunRef ref = frame.run();
        boolean start = Frame.START.equals(frame.kind());
        if (!start && !Frame.CANCEL.equals(frame.kind())) {
            log.warn(ref + ": ignored frame " + Log.oneLine(frame.frameId()) + " of unknown kind '"
                    + Log.oneLine(frame.kind()) + "'");
            ackAsync(frame);
            return;
        }
        if (frame.runId() == null || frame.fenceToken() < 0 || (start && frame.epoch() == null)) {
            log.error(ref + ": refused " + frame.kind() + " frame " + Log.oneLine(frame.frameId())
                    + ": it lacks a runId or a fenceToken, or its epoch is not a string");
            ackAsync(frame);
            return;
        }
        if (!WorkingDirectories.isValidThreadId(frame.threadId())) {
            log.error(ref + ": refused " + frame.kind() + " frame: the thread id must be " + RunIds.RULE);
            if (start) {
                lanes.execute(() -> reportStartFailure(ref, "InvalidThreadId",
                        "the daemon refuses thread id '" + Log.oneLine(frame.threadId()) + "' as a directory name"));
            }
            ackAsync(frame);
            return;
        }
        directories.inLane(frame.threadId(), () -> {
            boolean handled = start ? start(frame) : cancel(frame);
            if (handled) {
                ack(frame);
            }
        });
    }

    /** Handles a start frame in its thread's lane; false when it must stay unacknowledged. */
    private boolean start(Frame frame) {
        RunRef ref = frame.run();
        if (stopping) {
            return false;
        }
        synchronized (cancelled) {
            if (cancelled.contains(ref.runId())) {
                log.info(ref + ": refused: the run was already cancelled");
                return true;
            }
        }
        String epoch = frame.epoch();
        FenceBook.Admission admission;
        FenceBook.Entry highest;
        try {
            // Only checked here: the token is recorded once the API has answered the pre-start heartbeat.
            admission = fences.check(ref.threadId(), epoch, ref.fenceToken(), ref.runId());
            highest = fences.highest(ref.threadId(), epoch).orElse(null);
        } catch (UncheckedIOException e) {
            log.error(ref + ": refused, the fence book failed (" + Log.oneLine(e.getMessage())
                    + "); the frame stays unacknowledged");
            return false;
        }
        String seen = " seen for thread " + ref.threadId()
                + (epoch.isEmpty() ? " in frames without an epoch" : " in backend epoch '" + Log.oneLine(epoch) + "'");
        switch (admission) {
            case STALE -> {
                String refusal = "token " + ref.fenceToken() + " is lower than the highest token " + highest.token() + seen;
                log.warn(ref + ": refused: " + refusal + " (" + directories.of(ref.threadId()) + ")");
                refused(ref, "StaleFenceToken", refusal);
                return true;
            }
            case DUPLICATE -> {
                log.info(ref + ": already started under this token (or refused by the API), not running it again");
                return true;
            }
            case CONFLICT -> {
                String refusal = "token " + ref.fenceToken() + ", the highest token" + seen + ", was already given to run "
                        + Log.oneLine(highest.runId());
                log.warn(ref + ": refused: " + refusal);
                refused(ref, "FenceTokenConflict", refusal);
                return true;
            }
            case ADMITTED -> {
                return launch(frame);
            }
        }
        return true;
    }

    /**
     * Fails the run of a start frame the fence book refused, at once and with the reason, instead of leaving it to
     * time out on the server after its heartbeat window. The report carries the frame's own token, so the server
     * takes it only if that is the thread's newest token there: when the book's higher token was issued by a
     * backend that has lost its state since without changing its epoch (a server that sends none). Otherwise the
     * server answers 409, which is only logged, and whatever run holds the thread is not touched. Sent through the
     * bounded retries of {@link #reportStartFailure}; the frame is acknowledged after it.
     */
    private void refused(RunRef ref, String code, String refusal) {
        reportStartFailure(ref, code, "the daemon refused the start frame, the command did not run: " + refusal);
    }

    private boolean launch(Frame frame) {
        RunRef ref = frame.run();
        CommandRun previous = directories.current(ref.threadId());
        if (previous != null && previous.isProcessAlive()) {
            // A newer token proves the previous run stale, whatever the API answers below about this one.
            log.info(ref + ": supersedes " + previous.ref() + " still running in "
                    + directories.of(ref.threadId()) + ", killing it first");
            previous.abandon("superseded by token " + ref.fenceToken());
            if (previous.isProcessAlive()) {
                log.error(ref + ": not started: the superseded command would not die");
                remember(frame);
                reportStartFailure(ref, "WorkingDirectoryBusy", "the previous command in the working directory would not die");
                return true;
            }
        }
        Path dir;
        try {
            dir = directories.create(ref.threadId());
        } catch (IOException | RuntimeException e) {
            log.error(ref + ": not started: cannot create the working directory (" + describe(e) + ")");
            remember(frame);
            reportStartFailure(ref, "StartFailed", "cannot create the working directory: " + describe(e));
            return true;
        }
        switch (preStart(frame)) {
            case NO_ANSWER -> {
                return false;
            }
            case NOT_TO_START -> {
                return true;
            }
            case START -> {
                // The book remembers the token before the command starts (see FenceBook).
                if (!remember(frame)) {
                    log.error(ref + ": not started; the frame stays unacknowledged");
                    return false;
                }
            }
        }
        CommandRun run = new CommandRun(ref, dir, frame.input(), api, log, runSettings);
        synchronized (lifecycle) {
            if (stopping) {
                return false;
            }
            directories.occupy(ref.threadId(), run);
            try {
                run.start();
                running.record(ref.threadId(), ref, run.handle());
            } catch (IOException e) {
                directories.release(ref.threadId(), run);
                log.error(ref + ": not started: " + describe(e));
                lanes.execute(() -> reportStartFailure(ref, "StartFailed", "the command did not start: " + describe(e)));
                return true;
            }
        }
        run.ended().whenComplete((ok, failure) -> {
            running.clear(ref.threadId(), ref.runId());
            directories.release(ref.threadId(), run);
        });
        return true;
    }

    /** What the pre-start heartbeat decided for a start frame. */
    private enum PreStart {
        /** 202: the run is live under the frame's token. */
        START,
        /** A definitive refusal: the run is over or not this daemon's; the frame is acknowledged. */
        NOT_TO_START,
        /** No definitive answer in time (or the daemon stops): the frame stays unacknowledged. */
        NO_ANSWER
    }

    /** Sends the run's {@link PreStartHeartbeat} and decides from the API's answer. Call from the thread's lane. */
    private PreStart preStart(Frame frame) {
        RunRef ref = frame.run();
        Reporter.Result answer;
        try {
            answer = preStartHeartbeat.send(ref);
        } catch (IOException e) {
            if (stopping) {
                return PreStart.NO_ANSWER;
            }
            // Not acknowledged, so that a restarted daemon asks again (the API drops the frame instead if the
            // run has ended by then). This daemon does not fetch it again (its poll cursor is past it), so
            // nothing spins, and the lane is free again for the thread's later frames.
            log.warn(ref + ": not started: no answer to the pre-start heartbeat within "
                    + preStartHeartbeat.patience().toSeconds() + "s (" + describe(e)
                    + "); the frame stays unacknowledged for a restarted daemon");
            return PreStart.NO_ANSWER;
        } catch (InterruptedException e) {
            return PreStart.NO_ANSWER;
        }
        switch (answer.outcome()) {
            case ACCEPTED -> {
                return PreStart.START;
            }
            case CREDENTIAL_REJECTED -> {
                log.error(ref + ": not started: the API rejected the daemon's credential ("
                        + Log.oneLine(answer.toString()) + ")");
                credentialRejected(answer.toString());
                return PreStart.NO_ANSWER;
            }
            case FENCED_OUT -> {
                log.warn(ref + ": not started: the API answered " + Log.oneLine(answer.toString())
                        + " to the pre-start heartbeat");
                // Recorded: 409 StaleFenceToken proves a newer token exists, and RunEnded means this run is over;
                // either way every later legitimate frame for the directory carries a higher token. Recording it
                // keeps "a lower token is refused" and makes a redelivery of this frame a duplicate.
                remember(frame);
                return PreStart.NOT_TO_START;
            }
            default -> {
                // 403 NotYourRun, 404 RunNotFound, another 4xx: the API vouches for no run under this token here,
                // so it is not recorded (it would only make later frames look older than they are).
                log.warn(ref + ": not started: the API answered " + Log.oneLine(answer.toString())
                        + " to the pre-start heartbeat");
                return PreStart.NOT_TO_START;
            }
        }
    }

    /**
     * Records the frame's token as the directory's highest in its epoch; false (logged) when the book cannot be
     * written. Only the thread's lane touches its entry, so the token checked in {@link #start} is still admitted here.
     */
    private boolean remember(Frame frame) {
        RunRef ref = frame.run();
        try {
            fences.admit(ref.threadId(), frame.epoch(), ref.fenceToken(), ref.runId());
            return true;
        } catch (UncheckedIOException e) {
            log.error(ref + ": the fence book failed (" + Log.oneLine(e.getMessage()) + ")");
            return false;
        }
    }

    /** Handles a cancel frame in its thread's lane. */
    private boolean cancel(Frame frame) {
        RunRef ref = frame.run();
        synchronized (cancelled) {
            cancelled.add(ref.runId());
        }
        CommandRun running = directories.current(ref.threadId());
        if (running != null && running.ref().runId().equals(ref.runId()) && !running.isAbandoned()) {
            log.info(ref + ": cancel frame, stopping the run");
            running.abandon("cancelled");
        } else {
            log.info(ref + ": cancel frame for a run that is not running here, nothing to stop");
        }
        return true;
    }

    private void ackAsync(Frame frame) {
        lanes.execute(() -> ack(frame));
    }

    private void ack(Frame frame) {
        try {
            retried(5, () -> {
                api.ack(List.of(frame.frameId()));
                return null;
            });
        } catch (ApiClient.CredentialRejected e) {
            credentialRejected(e.getMessage());
        } catch (IOException e) {
            log.warn("frame " + Log.oneLine(frame.frameId()) + " not acknowledged (" + describe(e)
                    + "); a restarted daemon will see it again and skip it");
        } catch (InterruptedException e) {
            // stopping
        }
    }

    /** Ends a run the daemon could not start, so that it does not wait for its heartbeat timeout. */
    private void reportStartFailure(RunRef ref, String code, String message) {
        ObjectNode body = JSON.createObjectNode().put("type", "failed").put("fenceToken", ref.fenceToken());
        body.putObject("error").put("code", code).put("message", message);
        try {
            Reporter.Result result = retried(3, () -> api.report(ref.runId(), body));
            if (result.outcome() == Reporter.Outcome.CREDENTIAL_REJECTED) {
                credentialRejected(result.toString());
            } else if (result.outcome() == Reporter.Outcome.ACCEPTED) {
                log.info(ref + ": reported failed (" + code + ")");
            } else {
                log.warn(ref + ": the API answered " + Log.oneLine(result.toString()) + " to failed (" + code + ")");
            }
        } catch (IOException e) {
            log.warn(ref + ": failed (" + code + ") not reported: " + describe(e));
        } catch (InterruptedException | ApiClient.CredentialRejected e) {
            // stopping; a report answers a rejected credential with a result, not this exception
        }
    }

    /** An API call that may fail on the network. */
    private interface ApiCall<T> {
        T call() throws IOException, InterruptedException, ApiClient.CredentialRejected;
    }

    /**
     * Makes the call, retrying network errors with backoff, at most {@code tries} times and no more once
     * the daemon is stopping (a stopping daemon reports nothing); the last error is thrown.
     */
    private <T> T retried(int tries, ApiCall<T> call)
            throws IOException, InterruptedException, ApiClient.CredentialRejected {
        Backoff backoff = new Backoff(retryFirst, retryCap);
        for (int attempt = 1; ; attempt++) {
            try {
                return call.call();
            } catch (IOException e) {
                if (attempt >= tries || stopping) {
                    throw e;
                }
                Thread.sleep(backoff.next());
            }
        }
    }

    private void credentialRejected() {
        credentialRejected("a report answered 401/403");
    }

    private void credentialRejected(String detail) {
        if (credentialRejected == null) {
            credentialRejected = detail;
        }
        stopping = true;
        Thread t = loop;
        if (t != null) {
            t.interrupt();
        }
    }

    private void checkCredential() throws ApiClient.CredentialRejected {
        String detail = credentialRejected;
        if (detail != null) {
            throw new ApiClient.CredentialRejected(detail);
        }
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return Log.oneLine(e.getClass().getSimpleName() + (m == null ? "" : ": " + m));
    }
}
