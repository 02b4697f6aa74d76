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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The daemon's loop: polls its frames ({@link Polling}: a long poll while active, a command running or a frame
 * within the last minute; then a poll every second for four minutes; then every {@code --idle-poll-seconds}; each
 * change logged) and hands each to its thread's lane, where a start frame is
 * fenced ({@link FenceBook}, per backend epoch) and claimed by this process, supersedes a stale command still
 * running in the directory, and starts a {@link CommandRun} once the API has accepted the run's
 * {@link PreStartHeartbeat}; a start frame the fence refuses runs nothing and fails its run at once; a cancel frame
 * abandons the run. Every poll returns every unacknowledged frame (frames can commit out of id order, so the
 * API never hides one behind a cursor): a frame still in a lane is skipped, and one already handled, whose
 * acknowledgement failed, is only acknowledged again. Claiming a start frame is acknowledging it: the API
 * removes each frame for one call only, so of several processes sharing the daemon's credential only the one
 * whose acknowledgement removed the frame runs it. Network errors are retried with capped backoff; a rejected
 * credential stops the daemon.
 */
public final class Daemon implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REMEMBERED_CANCELS = 10_000;
    private static final int REMEMBERED_FRAMES = 10_000;
    /**
     * How long after its last frame or command the daemon keeps long-polling. Past it, idle, it polls
     * without waiting every {@code --idle-poll-seconds}: a held long poll bills the frames function for
     * its whole wait, all month long, while a start waits at most one idle interval.
     */
    private static final Duration ACTIVE_WINDOW = Duration.ofSeconds(60);
    /** After the active window, how long the daemon polls every second before it polls every idle interval. */
    private static final Duration RECENT_WINDOW = Duration.ofMinutes(4);

    private final DaemonConfig config;
    private final Duration activeWindow;
    private final Duration recentWindow;
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
    private final Set<String> cancelled = bounded(REMEMBERED_CANCELS);
    /** Frames handed to a lane and not yet done with: a poll that returns them again does not hand them over twice. */
    private final Set<String> inHand = ConcurrentHashMap.newKeySet();
    /** Frames done with (acknowledged, or their acknowledgement given up): a poll that returns one only acknowledges it. */
    private final Set<String> handled = bounded(REMEMBERED_FRAMES);
    private final Object lifecycle = new Object();

    private volatile boolean stopping;
    private volatile String credentialRejected;
    private volatile Thread loop;

    public Daemon(DaemonConfig config, ApiClient api, Log log, Duration retryFirst, Duration retryCap) {
        this(config, api, log, retryFirst, retryCap, ACTIVE_WINDOW, RECENT_WINDOW, CommandRun.PROGRESS_LINGER);
    }

    Daemon(DaemonConfig config, ApiClient api, Log log, Duration retryFirst, Duration retryCap, Duration activeWindow,
           Duration recentWindow, Duration progressLinger) {
        this.activeWindow = activeWindow;
        this.recentWindow = recentWindow;
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
                Duration.ofSeconds(config.killGraceSeconds()), retryFirst, retryCap, this::credentialRejected,
                progressLinger);
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
        Polling polling = Polling.ACTIVE;
        boolean shortPollNext = false;
        try {
            while (!stopping) {
                checkCredential();
                if (directories.busy()) {
                    activeUntil = Instant.now().plus(activeWindow);
                }
                polling = poll(polling, Polling.at(Instant.now(), activeUntil, recentWindow, config.idlePollSeconds()));
                ApiClient.FramesPage page;
                try {
                    page = api.frames(cursor, shortPollNext ? 0 : polling.waitSeconds(config.pollWaitSeconds()));
                    shortPollNext = false;
                    backoff.reset();
                } catch (ApiClient.TooManyLongPolls capped) {
                    // Over the stack's cap of waiting polls: poll once without waiting (no slot needed) after Retry-After.
                    log.warn(capped.getMessage() + ": polling without waiting in " + capped.retryAfter().toSeconds() + " s");
                    shortPollNext = true;
                    Thread.sleep(capped.retryAfter());
                    continue;
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
                    polling = poll(polling, Polling.ACTIVE);
                } else if (polling != Polling.ACTIVE) {
                    Thread.sleep(polling.pause(config.idlePollSeconds()));
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

    /** The polling mode from now on; a change is logged. */
    private Polling poll(Polling was, Polling now) {
        if (now != was) {
            log.info(now.change(activeWindow, recentWindow, config.pollWaitSeconds(), config.idlePollSeconds()));
        }
        return now;
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

    private static Set<String> bounded(int size) {
        return Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > size;
            }
        }));
    }

    /** The highest fence token admitted for a thread's directory from frames without an epoch (for tests and diagnostics). */
    public Optional<FenceBook.Entry> highestToken(String threadId) {
        return fences.highest(threadId);
    }

    /** The highest fence token admitted for a thread's directory in a backend epoch (for tests and diagnostics). */
    public Optional<FenceBook.Entry> highestToken(String threadId, String epoch) {
        return fences.highest(threadId, epoch);
    }

    /** What handling a frame came to. */
    private enum Handled {
        /** Done with: acknowledge it. */
        ACK,
        /** Done with, and already out of the channel (claimed by this process or another). */
        GONE,
        /** Not handled: it stays unacknowledged and is handled again when a poll returns it. */
        AGAIN
    }

    private void dispatch(Frame frame) {
        String frameId = frame.frameId();
        if (frameId == null) {
            log.warn("ignored a frame without frameId (kind " + Log.oneLine(frame.kind()) + ", run "
                    + Log.oneLine(frame.runId()) + ")");
            return;
        }
        if (!inHand.add(frameId)) {
            return; // still being handled
        }
        if (handled.contains(frameId)) {
            lanes.execute(() -> handle(frame, () -> Handled.ACK));
            return;
        }
        RunRef ref = frame.run();
        boolean start = Frame.START.equals(frame.kind());
        if (!start && !Frame.CANCEL.equals(frame.kind())) {
            log.warn(ref + ": ignored frame " + Log.oneLine(frameId) + " of unknown kind '"
                    + Log.oneLine(frame.kind()) + "'");
            lanes.execute(() -> handle(frame, () -> Handled.ACK));
            return;
        }
        if (frame.runId() == null || frame.fenceToken() < 0 || (start && frame.epoch() == null)) {
            log.error(ref + ": refused " + frame.kind() + " frame " + Log.oneLine(frameId)
                    + ": it lacks a runId or a fenceToken, or its epoch is not a string");
            lanes.execute(() -> handle(frame, () -> Handled.ACK));
            return;
        }
        if (!WorkingDirectories.isValidThreadId(frame.threadId())) {
            log.error(ref + ": refused " + frame.kind() + " frame: the thread id must be " + RunIds.RULE);
            lanes.execute(() -> handle(frame, () -> {
                if (start) {
                    reportStartFailure(ref, "InvalidThreadId",
                            "the daemon refuses thread id '" + Log.oneLine(frame.threadId()) + "' as a directory name");
                }
                return Handled.ACK;
            }));
            return;
        }
        directories.inLane(frame.threadId(), () -> handle(frame, () -> start ? start(frame) : cancel(frame)));
    }

    /** Handles a frame in hand, acknowledges it if that is what handling came to, and lets it go. */
    private void handle(Frame frame, Supplier<Handled> handling) {
        try {
            Handled result = handling.get();
            if (result != Handled.AGAIN) {
                handled.add(frame.frameId());
            }
            if (result == Handled.ACK) {
                ack(frame);
            }
        } finally {
            inHand.remove(frame.frameId());
        }
    }

    /** Handles a start frame in its thread's lane. */
    private Handled start(Frame frame) {
        RunRef ref = frame.run();
        if (stopping) {
            return Handled.AGAIN;
        }
        synchronized (cancelled) {
            if (cancelled.contains(ref.runId())) {
                log.info(ref + ": refused: the run was already cancelled");
                return Handled.ACK;
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
            return Handled.AGAIN;
        }
        String seen = " seen for thread " + ref.threadId()
                + (epoch.isEmpty() ? " in frames without an epoch" : " in backend epoch '" + Log.oneLine(epoch) + "'");
        switch (admission) {
            case STALE -> {
                String refusal = "token " + ref.fenceToken() + " is lower than the highest token " + highest.token() + seen;
                log.warn(ref + ": refused: " + refusal + " (" + directories.of(ref.threadId()) + ")");
                refused(ref, "StaleFenceToken", refusal);
                return Handled.ACK;
            }
            case DUPLICATE -> {
                log.info(ref + ": already started under this token (or refused by the API), not running it again");
                return Handled.ACK;
            }
            case CONFLICT -> {
                String refusal = "token " + ref.fenceToken() + ", the highest token" + seen + ", was already given to run "
                        + Log.oneLine(highest.runId());
                log.warn(ref + ": refused: " + refusal);
                refused(ref, "FenceTokenConflict", refusal);
                return Handled.ACK;
            }
            case ADMITTED -> {
                return launch(frame);
            }
        }
        return Handled.ACK;
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

    /**
     * Claims the start frame, then clears the directory and starts the command once the pre-start heartbeat is
     * accepted. The claim comes first so that the accepted heartbeat, from which the run's heartbeat window is
     * counted, is the last call before the command starts; and so that only the claimant reports on the run.
     */
    private Handled launch(Frame frame) {
        RunRef ref = frame.run();
        if (stopping) {
            return Handled.AGAIN; // left for a restarted daemon, not claimed
        }
        switch (claim(frame)) {
            case NO_ANSWER -> {
                return Handled.AGAIN;
            }
            case LOST -> {
                return Handled.GONE;
            }
            case WON -> {
                // This process owns the run now: from here on the frame is gone, whatever happens.
            }
        }
        CommandRun previous = directories.current(ref.threadId());
        if (previous != null && previous.mayStillRun()) {
            // A newer token proves the previous run stale, whatever the API answers below about this one. A run
            // abandoned earlier (a 409, its heartbeat window) may still be dying: the kill is waited for too.
            log.info(ref + ": supersedes " + previous.ref() + " still running in "
                    + directories.of(ref.threadId()) + ", killing it first");
            previous.abandon("superseded by token " + ref.fenceToken());
            if (previous.mayStillRun()) {
                log.error(ref + ": not started: the superseded command would not die");
                remember(frame);
                reportStartFailure(ref, "WorkingDirectoryBusy", "the previous command in the working directory would not die");
                return Handled.GONE;
            }
        }
        Path dir;
        try {
            dir = directories.create(ref.threadId());
        } catch (IOException | RuntimeException e) {
            log.error(ref + ": not started: cannot create the working directory (" + describe(e) + ")");
            remember(frame);
            reportStartFailure(ref, "StartFailed", "cannot create the working directory: " + describe(e));
            return Handled.GONE;
        }
        Duration window = Duration.ofSeconds(frame.heartbeatSeconds());
        PreStartDecision preStart = preStart(frame, window);
        if (preStart.decision() != PreStart.START) {
            return Handled.GONE;
        }
        // The book remembers the token before the command starts (see FenceBook).
        if (!remember(frame)) {
            reportStartFailure(ref, "StartFailed", "the daemon cannot write its fence book");
            return Handled.GONE;
        }
        if (frame.heartbeatSeconds() > 0
                && runSettings.heartbeat().compareTo(CommandRun.stopAfter(window, runSettings.killGrace())) >= 0) {
            log.warn(ref + ": --heartbeat-seconds " + runSettings.heartbeat().toSeconds() + " is not well below the "
                    + "stack's heartbeat window (" + window.toSeconds() + "s): the command is stopped between heartbeats");
        }
        CommandRun run = new CommandRun(ref, dir, frame.input(), api, log, runSettings, window, preStart.acceptedAt());
        synchronized (lifecycle) {
            if (stopping) {
                // Claimed but never started: nothing runs; the run times out on the server.
                return Handled.GONE;
            }
            directories.occupy(ref.threadId(), run);
            try {
                run.start();
                running.record(ref.threadId(), ref, run.handle());
            } catch (IOException e) {
                directories.release(ref.threadId(), run);
                log.error(ref + ": not started: " + describe(e));
                lanes.execute(() -> reportStartFailure(ref, "StartFailed", "the command did not start: " + describe(e)));
                return Handled.GONE;
            }
        }
        run.ended().whenComplete((ok, failure) -> {
            if (run.mayStillRun()) {
                // Its directory stays occupied: no other command starts where one of its processes may run.
                log.error(ref + ": processes of the run survived its kill; no command starts in "
                        + directories.of(ref.threadId()) + " until the daemon restarts");
                return;
            }
            running.clear(ref.threadId(), ref.runId());
            directories.release(ref.threadId(), run);
        });
        return Handled.GONE;
    }

    /** What claiming a start frame (acknowledging it before its command starts) came to. */
    private enum Claim {
        /** This call removed the frame: this process runs it. */
        WON,
        /** The frame was gone: another process of the daemon claimed it (or the API dropped it as its run ended). */
        LOST,
        /** No answer: the frame may still be there, and is handled again when a poll returns it. */
        NO_ANSWER
    }

    /**
     * Claims a start frame: acknowledges it, and runs it only if this call removed it. A claim whose answer was
     * lost after it removed the frame leaves the run to time out: never run twice beats always run.
     */
    private Claim claim(Frame frame) {
        RunRef ref = frame.run();
        try {
            if (api.ack(List.of(frame.frameId())).contains(frame.frameId())) {
                return Claim.WON;
            }
            log.info(ref + ": not started: its start frame was claimed by another process of daemon " + config.daemonId()
                    + " (or dropped as its run ended)");
            return Claim.LOST;
        } catch (ApiClient.CredentialRejected e) {
            credentialRejected(e.getMessage());
            return Claim.NO_ANSWER;
        } catch (IOException e) {
            log.warn(ref + ": not started: the claim of its start frame got no answer (" + describe(e)
                    + "); it is tried again when a poll returns the frame");
            return Claim.NO_ANSWER;
        } catch (InterruptedException e) {
            return Claim.NO_ANSWER;
        }
    }

    /** What the pre-start heartbeat decided for a start frame. */
    private enum PreStart {
        /** 202: the run is live under the frame's token. */
        START,
        /** A definitive refusal: the run is over or not this daemon's. */
        NOT_TO_START,
        /** No definitive answer in time (or the daemon stops). */
        NO_ANSWER
    }

    /** The pre-start heartbeat's decision, and when the heartbeat the API accepted was sent ({@link MonotonicClock}). */
    private record PreStartDecision(PreStart decision, long acceptedAt) {
        PreStartDecision(PreStart decision) {
            this(decision, 0);
        }
    }

    /** Sends the run's {@link PreStartHeartbeat} and decides from the API's answer. Call from the thread's lane. */
    private PreStartDecision preStart(Frame frame, Duration window) {
        RunRef ref = frame.run();
        PreStartHeartbeat.Answer sent;
        try {
            // Half of what the command may go without an accepted report: the rest is its first heartbeat's room.
            sent = preStartHeartbeat.send(ref, CommandRun.stopAfter(window, runSettings.killGrace()).dividedBy(2));
        } catch (IOException e) {
            if (stopping) {
                return new PreStartDecision(PreStart.NO_ANSWER);
            }
            // The frame is claimed (gone): nothing runs, and the run times out on the server, whose window has
            // been running since the dispatch. The lane is free again for the thread's later frames.
            log.warn(ref + ": not started: no answer to the pre-start heartbeat within "
                    + preStartHeartbeat.patience().toSeconds() + "s (" + describe(e) + "); the run times out");
            return new PreStartDecision(PreStart.NO_ANSWER);
        } catch (InterruptedException e) {
            return new PreStartDecision(PreStart.NO_ANSWER);
        }
        Reporter.Result answer = sent.result();
        switch (answer.outcome()) {
            case ACCEPTED -> {
                return new PreStartDecision(PreStart.START, sent.sentAt());
            }
            case CREDENTIAL_REJECTED -> {
                log.error(ref + ": not started: the API rejected the daemon's credential ("
                        + Log.oneLine(answer.toString()) + ")");
                credentialRejected(answer.toString());
                return new PreStartDecision(PreStart.NO_ANSWER);
            }
            case FENCED_OUT -> {
                log.warn(ref + ": not started: the API answered " + Log.oneLine(answer.toString())
                        + " to the pre-start heartbeat");
                // Recorded: 409 StaleFenceToken proves a newer token exists, and RunEnded means this run is over;
                // either way every later legitimate frame for the directory carries a higher token. Recording it
                // keeps "a lower token is refused" and makes another frame of this run a duplicate.
                remember(frame);
                return new PreStartDecision(PreStart.NOT_TO_START);
            }
            default -> {
                // 403 NotYourRun, 404 RunNotFound, another 4xx: the API vouches for no run under this token here,
                // so it is not recorded (it would only make later frames look older than they are).
                log.warn(ref + ": not started: the API answered " + Log.oneLine(answer.toString())
                        + " to the pre-start heartbeat");
                return new PreStartDecision(PreStart.NOT_TO_START);
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
    private Handled cancel(Frame frame) {
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
        return Handled.ACK;
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
                    + "); it is acknowledged again when a poll returns it");
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
