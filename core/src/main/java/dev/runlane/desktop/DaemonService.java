package dev.runlane.desktop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.runlane.domain.Daemons;
import dev.runlane.domain.Fence;
import dev.runlane.domain.Frame;
import dev.runlane.domain.Frames;
import dev.runlane.domain.OutputRecordedException;
import dev.runlane.domain.RefusedException;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunPayloads;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.StaleAttemptException;
import dev.runlane.domain.Target;
import dev.runlane.domain.TaskEndedException;
import dev.runlane.domain.Workflow;
import dev.runlane.runs.Json;
import dev.runlane.runs.LongPollCap;
import dev.runlane.runs.RunIds;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

import static dev.runlane.domain.RefusedException.Kind.CONFLICT;
import static dev.runlane.domain.RefusedException.Kind.NOT_PERMITTED;
import static dev.runlane.domain.RefusedException.Kind.NOT_FOUND;
import static dev.runlane.domain.RefusedException.Kind.TOO_LARGE;
import static dev.runlane.domain.RefusedException.Kind.UNAUTHENTICATED;

/**
 * The daemon side of desktop runs: registration, frames, and reports. A report is accepted only from
 * the run's own daemon with the thread's newest fence token, then forwarded to the waiting task.
 */
public class DaemonService {
    public static final int MAX_WAIT_SECONDS = 20;
    public static final int MAX_ACK = 100;
    private static final int FRAMES_PER_POLL = 50;
    /** A revoke drops at most this many pages of frames (2,500); any beyond expire (TTL) and their runs time out. */
    private static final int REVOKE_PAGES = 50;
    private static final long MAX_FRAME_BYTES = 2L * 1024 * 1024;
    /** A progress event is one DynamoDB item (at most 400 KB). */
    static final int MAX_PROGRESS_BYTES = 256 * 1024;
    /** How often a long poll looks for new frames: DynamoDB offers nothing to block on. */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(500);
    private static final Pattern FRAME_ID = Pattern.compile("\\d{13}-(start|cancel)-[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final Logger LOG = Logger.getLogger(DaemonService.class.getName());

    private final Daemons daemons;
    private final Frames frames;
    private final RunStore runs;
    private final Fence fence;
    private final Workflow workflow;
    private final LongPollCap longPolls;
    private final Clock clock;

    public DaemonService(Daemons daemons, Frames frames, RunStore runs, Fence fence, Workflow workflow, Clock clock) {
        this(daemons, frames, runs, fence, workflow, LongPollCap.NONE, clock);
    }

    /** @param longPolls bounds the frame polls each daemon holds at once */
    public DaemonService(Daemons daemons, Frames frames, RunStore runs, Fence fence, Workflow workflow, LongPollCap longPolls,
                         Clock clock) {
        this.daemons = daemons;
        this.frames = frames;
        this.runs = runs;
        this.fence = fence;
        this.workflow = workflow;
        this.longPolls = longPolls;
        this.clock = clock;
    }

    public record Registration(String daemonId, String credential) {
    }

    /** Registers a daemon and returns its credential: shown once, stored only as a hash. */
    public Registration register(String daemonId) {
        requireDaemonId(daemonId);
        String credential = Credentials.issue(daemonId);
        if (!daemons.register(daemonId, Credentials.hash(credential), clock.instant())) {
            throw new RefusedException(CONFLICT, "DaemonExists", "daemon " + daemonId + " is already registered");
        }
        LOG.info(() -> "daemon " + daemonId + " registered");
        return new Registration(daemonId, credential);
    }

    /**
     * Replaces the daemon's credential with a new one, returned here (shown once): the old one is refused from
     * the next request on, since every request reads the stored hash (consistently) and nothing caches it. The
     * daemon's frames stay for it, to fetch with the new credential. 404 for a daemon that is not registered.
     */
    public Registration rotate(String daemonId) {
        requireDaemonId(daemonId);
        String credential = Credentials.issue(daemonId);
        if (!daemons.replaceCredential(daemonId, Credentials.hash(credential), clock.instant())) {
            throw notRegistered(daemonId);
        }
        LOG.info(() -> "daemon " + daemonId + ": credential rotated, the previous one is refused from now on");
        return new Registration(daemonId, credential);
    }

    /** A revoked daemon, and the runs whose start frames it never got: they failed with {@code DaemonRevoked}. */
    public record Revocation(String daemonId, List<String> failedRuns) {
    }

    /**
     * Revokes a daemon: first its credential is removed, so it is refused from the next request on; then each
     * start frame it has not acknowledged fails its run ({@code DaemonRevoked}) and every frame of it is
     * dropped, so that a daemon registered again under this id starts with none. A run whose command the daemon
     * already runs ends TIMED_OUT within the heartbeat window: its reports are refused now. A repeat (after a
     * lost answer, or a crash between the steps) finishes the frames' part; 404 once there is nothing left of
     * the daemon (never registered, or revoked and cleaned up), so that a mistyped id is not taken for done.
     */
    public Revocation revoke(String daemonId) {
        requireDaemonId(daemonId);
        boolean registered = daemons.remove(daemonId);
        if (registered) {
            LOG.info(() -> "daemon " + daemonId + " revoked: its credential is refused from now on");
        }
        List<String> failedRuns = new ArrayList<>();
        boolean hadFrames = false;
        for (int page = 0; page < REVOKE_PAGES; page++) {
            List<Frame> batch = frames.unacknowledged(daemonId, FRAMES_PER_POLL);
            if (batch.isEmpty()) {
                break;
            }
            hadFrames = true;
            for (Frame frame : batch) {
                // A failure here is the caller's to hear (500): the frame stays, and a repeat of the revoke finishes it.
                if (failRunOf(frame, "DaemonRevoked", "daemon " + daemonId + " was revoked before it got the run's start frame")) {
                    failedRuns.add(frame.runId());
                }
            }
            frames.acknowledge(daemonId, batch.stream().map(Frame::frameId).toList());
        }
        if (!registered && !hadFrames) {
            throw notRegistered(daemonId);
        }
        if (!failedRuns.isEmpty()) {
            LOG.info(() -> "daemon " + daemonId + " revoked: runs failed with DaemonRevoked: " + failedRuns);
        }
        return new Revocation(daemonId, failedRuns);
    }

    private static void requireDaemonId(String daemonId) {
        if (!RunIds.isValid(daemonId)) {
            throw RefusedException.invalid("InvalidDaemonId", "daemonId must be " + RunIds.RULE);
        }
    }

    private static RefusedException notRegistered(String daemonId) {
        return new RefusedException(NOT_FOUND, "DaemonNotFound", "no daemon " + daemonId + " is registered");
    }

    /**
     * Frames for a daemon, each as the API writes it ({@code T}); {@code epoch} is the backend's identity,
     * which its tokens belong to.
     */
    public record FrameBatch<T>(List<T> frames, String cursor, String epoch) {
    }

    /** How the API writes one frame for its answer; throws for a frame it cannot write. */
    @FunctionalInterface
    public interface FrameWriter<T> {
        T write(Frame frame, String epoch);
    }

    /**
     * Every unacknowledged frame of the daemon, oldest first (bounded): a frame is delivered until it is
     * acknowledged, whatever its id, since frames can commit out of id order. {@code cursor} (the newest
     * frame id the daemon has had) only decides how long to wait: up to {@code waitSeconds} while no frame
     * is after it, so that a daemon holding frames it is still handling does not poll in a loop. A frame
     * committed below the cursor is therefore delivered when the wait ends, never skipped.
     */
    public FrameBatch<Frame> frames(String daemonId, String credential, String cursor, int waitSeconds) throws InterruptedException {
        return frames(daemonId, credential, cursor, waitSeconds, (frame, epoch) -> frame);
    }

    /**
     * {@link #frames(String, String, String, int)}, each frame written by {@code writer} on its own: a frame
     * that cannot be served (its input nests deeper than {@link Json#MAX_DEPTH}, or the writer fails on it)
     * fails its own run with {@code FrameUndeliverable} and is dropped, with the reason logged, and the
     * other frames are served: one run can never take its daemon's channel down.
     */
    public <T> FrameBatch<T> frames(String daemonId, String credential, String cursor, int waitSeconds, FrameWriter<T> writer)
            throws InterruptedException {
        authorize(credential, daemonId);
        if (cursor != null && !FRAME_ID.matcher(cursor).matches()) {
            throw RefusedException.invalid("InvalidCursor", "after must be a frameId this API returned");
        }
        if (waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
            throw RefusedException.invalid("InvalidWait", "waitSeconds must be between 0 and " + MAX_WAIT_SECONDS);
        }
        // A poll that waits holds one of the daemon's long-poll slots meanwhile (LongPollCap).
        List<Frame> batch = longPolls.poll("daemon:" + daemonId, clock, Duration.ofSeconds(waitSeconds), POLL_INTERVAL,
                () -> withinResponseLimit(frames.unacknowledged(daemonId, FRAMES_PER_POLL)),
                seen -> !Objects.equals(newest(seen, cursor), cursor));
        if (!batch.isEmpty()) {
            // Again before any frame goes out: a credential rotated or revoked during the wait gets none.
            authorize(credential, daemonId);
        }
        String epoch = fence.epoch();
        return new FrameBatch<>(written(daemonId, dropEnded(daemonId, batch), epoch, writer), newest(batch, cursor), epoch);
    }

    /** The newest frame id the daemon will have had: the cursor, or a later frame of the batch. */
    private static String newest(List<Frame> batch, String cursor) {
        String newest = cursor;
        for (Frame frame : batch) {
            newest = newest == null || frame.frameId().compareTo(newest) > 0 ? frame.frameId() : newest;
        }
        return newest;
    }

    /**
     * The first frames whose inputs add up to at most {@link #MAX_FRAME_BYTES} (always one): start
     * frames carry inputs of up to 256 KiB and a Lambda response holds 6 MB. The rest come next poll.
     */
    private static List<Frame> withinResponseLimit(List<Frame> batch) {
        long bytes = 0;
        for (int i = 0; i < batch.size(); i++) {
            bytes += batch.get(i).input() == null ? 0 : batch.get(i).input().getBytes(StandardCharsets.UTF_8).length;
            if (i > 0 && bytes > MAX_FRAME_BYTES) {
                return batch.subList(0, i);
            }
        }
        return batch;
    }

    /**
     * A start frame of a run that has ended (timed out, cancelled) while its daemon was away must
     * not start its command when the daemon comes back: it is acknowledged here instead of delivered.
     */
    private List<Frame> dropEnded(String daemonId, List<Frame> batch) {
        List<Frame> live = new ArrayList<>();
        List<String> ended = new ArrayList<>();
        for (Frame frame : batch) {
            if (frame.kind() == Frame.Kind.START && runs.find(frame.runId()).map(Run::isTerminal).orElse(true)) {
                ended.add(frame.frameId());
            } else {
                live.add(frame);
            }
        }
        if (!ended.isEmpty()) {
            frames.acknowledge(daemonId, ended);
            LOG.info(() -> "dropped the start frames of ended runs for daemon " + daemonId + ": " + ended);
        }
        return live;
    }

    /** Each frame written on its own; one that cannot be is failed and dropped ({@link #undeliverable}), never served. */
    private <T> List<T> written(String daemonId, List<Frame> batch, String epoch, FrameWriter<T> writer) {
        List<T> served = new ArrayList<>();
        for (Frame frame : batch) {
            String unservable;
            try {
                int depth = frame.input() == null ? 0 : Json.depth(frame.input());
                if (depth <= Json.MAX_DEPTH) {
                    served.add(writer.write(frame, epoch));
                    continue;
                }
                unservable = "its input nests arrays and objects " + depth + " deep; a frame carries at most " + Json.MAX_DEPTH + " levels";
            } catch (RuntimeException failed) {
                LOG.log(Level.WARNING, "frame " + frame.frameId() + " of daemon " + daemonId + " could not be written", failed);
                unservable = "it could not be written (" + failed.getClass().getSimpleName() + ")";
            }
            undeliverable(daemonId, frame, unservable);
        }
        return served;
    }

    /**
     * A frame the API cannot serve: a start frame fails its run (if the run still waits for it under the frame's
     * token), then the frame is acknowledged. If failing the run fails, the frame stays for the next poll to try
     * again; either way it is left out of this answer.
     */
    private void undeliverable(String daemonId, Frame frame, String reason) {
        try {
            failRunOf(frame, "FrameUndeliverable", "its start frame could not be delivered to daemon " + daemonId + ": " + reason);
        } catch (RuntimeException notFailed) {
            LOG.log(Level.WARNING, "frame " + frame.frameId() + " of daemon " + daemonId + " is undeliverable (" + reason
                    + "), and failing its run failed: left for the next poll", notFailed);
            return;
        }
        frames.acknowledge(daemonId, List.of(frame.frameId()));
        LOG.warning(() -> "frame " + frame.frameId() + " of daemon " + daemonId + " dropped, undeliverable: " + reason
                + (frame.kind() == Frame.Kind.START ? "; its run fails with FrameUndeliverable" : ""));
    }

    /**
     * Fails the run a start frame was sent for, if the run still waits for it under the frame's token; true if
     * this call failed it. A run that has moved on (a newer token, its task no longer waiting) is left alone.
     */
    private boolean failRunOf(Frame frame, String code, String message) {
        if (frame.kind() != Frame.Kind.START) {
            return false;
        }
        Run run = runs.find(frame.runId()).orElse(null);
        if (run == null || run.isTerminal() || run.taskToken() == null) {
            return false;
        }
        try {
            fence.confirm(run.threadId(), run.runId(), frame.fenceToken());
            workflow.fail(run.taskToken(), code, message);
            return true;
        } catch (StaleAttemptException | TaskEndedException moved) {
            return false;
        }
    }

    /**
     * Removes the frames and returns the ids this call removed: of two processes of one daemon (one
     * credential) acknowledging a start frame to claim it, exactly one is told it removed it.
     */
    public List<String> acknowledge(String daemonId, String credential, List<String> frameIds) {
        return acknowledge(daemonId, credential, () -> frameIds);
    }

    /** {@link #acknowledge(String, String, List)}, the ids read from the request only once its credential is the daemon's. */
    public List<String> acknowledge(String daemonId, String credential, Supplier<List<String>> body) {
        authorize(credential, daemonId);
        List<String> frameIds = body.get();
        if (frameIds.isEmpty() || frameIds.size() > MAX_ACK || !frameIds.stream().allMatch(id -> FRAME_ID.matcher(id).matches())) {
            throw RefusedException.invalid("InvalidFrameIds", "frameIds must be 1-" + MAX_ACK + " frame ids this API returned");
        }
        return frames.acknowledge(daemonId, frameIds);
    }

    /** Accepts a report of the run's daemon holding the newest token, and forwards it to the run's task. */
    public void report(String runId, String credential, Report report) {
        report(runId, credential, () -> report);
    }

    /**
     * {@link #report(String, String, Report)}, the report read from the request only once its credential is
     * known: an unauthenticated caller never gets a body parsed. A run that is not this daemon's answers as
     * one that does not exist (404 RunNotFound, the same message), so that no daemon can probe which run ids
     * exist.
     */
    public void report(String runId, String credential, Supplier<Report> body) {
        String daemonId = authenticate(credential);
        if (!RunIds.isValid(runId)) {
            throw RefusedException.invalid("InvalidRunId", "runId must be " + RunIds.RULE);
        }
        Report report = body.get();
        Run run = runs.find(runId).filter(found -> found.target() == Target.DESKTOP && daemonId.equals(found.daemonId()))
                .orElseThrow(() -> new RefusedException(NOT_FOUND, "RunNotFound", "no run " + runId + " dispatched to this daemon"));
        if (run.isTerminal() || run.taskToken() == null) {
            throw new RefusedException(CONFLICT, "RunEnded", "run " + runId + " is " + run.status() + ": abandon it");
        }
        try {
            forward(run, report);
        } catch (StaleAttemptException stale) {
            runs.countStaleWrite(runId);
            LOG.warning(() -> "stale report refused: run " + runId + ", fence token " + report.fenceToken());
            throw new RefusedException(CONFLICT, "StaleFenceToken",
                    "fence token " + report.fenceToken() + " is not the newest for thread " + run.threadId() + ": abandon the run");
        } catch (TaskEndedException ended) {
            throw new RefusedException(CONFLICT, "RunEnded", "run " + runId + " is no longer waiting: abandon it");
        } catch (OutputRecordedException again) {
            throw new RefusedException(CONFLICT, "AlreadySucceeded", "run " + runId + " already reported succeeded under fence token "
                    + report.fenceToken() + " with another output: abandon the run");
        }
    }

    private void forward(Run run, Report report) {
        String threadId = run.threadId();
        long token = report.fenceToken();
        switch (report.type()) {
            case HEARTBEAT -> {
                fence.confirm(threadId, run.runId(), token);
                workflow.heartbeat(run.taskToken());
            }
            case PROGRESS -> {
                String data = Json.requireFaithful(report.data(), "data").toString();
                if (data.getBytes(StandardCharsets.UTF_8).length > MAX_PROGRESS_BYTES) {
                    throw new RefusedException(TOO_LARGE, "ProgressTooLarge",
                            "a progress report's data holds at most " + MAX_PROGRESS_BYTES + " bytes");
                }
                fence.append(threadId, new RunEvent(run.runId(), run.attempts(), token, clock.instant(), "progress", data));
                workflow.heartbeat(run.taskToken());
            }
            case SUCCEEDED -> {
                JsonNode value = report.output() == null ? NullNode.instance : report.output();
                int depth = Json.depth(value);
                if (depth > Json.MAX_DEPTH) {
                    // Read and failed, like an output too large: refused unread, the run would wait for its timeout.
                    fence.confirm(threadId, run.runId(), token);
                    workflow.fail(run.taskToken(), "OutputTooDeep", "the daemon's output nests arrays and objects " + depth
                            + " deep; a run records at most " + Json.MAX_DEPTH + " levels");
                    return;
                }
                String output = Json.requireFaithful(value, "output").toString();
                int bytes = output.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > RunPayloads.MAX_OUTPUT_BYTES) {
                    fence.confirm(threadId, run.runId(), token);
                    workflow.fail(run.taskToken(), "OutputTooLarge", "the daemon's output has " + bytes
                            + " bytes; a run records at most " + RunPayloads.MAX_OUTPUT_BYTES);
                    return;
                }
                fence.recordOutput(threadId, run.runId(), token, output);
                workflow.succeed(run.taskToken(), "{}");
            }
            case FAILED -> {
                fence.confirm(threadId, run.runId(), token);
                workflow.fail(run.taskToken(), report.errorCode(), report.errorMessage());
            }
        }
    }

    private void authorize(String credential, String daemonId) {
        if (!authenticate(credential).equals(daemonId)) {
            throw new RefusedException(NOT_PERMITTED, "NotYourDaemon", "this credential is not daemon " + daemonId + "'s");
        }
    }

    /** The daemon whose credential this is; 401 for a missing, malformed or wrong one. */
    private String authenticate(String credential) {
        String daemonId = Credentials.daemonOf(credential).orElseThrow(DaemonService::unauthorized);
        String stored = daemons.credentialHash(daemonId).orElseThrow(DaemonService::unauthorized);
        if (!Credentials.matches(credential, stored)) {
            throw unauthorized();
        }
        return daemonId;
    }

    private static RefusedException unauthorized() {
        return new RefusedException(UNAUTHENTICATED, "Unauthorized", "send a registered daemon's credential: Authorization: Bearer rld.…");
    }
}
