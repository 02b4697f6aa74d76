package dev.runlane.runs;

import dev.runlane.domain.RefusedException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runlane.domain.Frame;
import dev.runlane.domain.Frames;
import dev.runlane.domain.InvalidCursorException;
import dev.runlane.domain.Page;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunPayloads;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.Target;
import dev.runlane.domain.ThreadQueue;
import dev.runlane.domain.Workflow;

import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;

import static dev.runlane.domain.RefusedException.Kind.CONFLICT;
import static dev.runlane.domain.RefusedException.Kind.NOT_FOUND;
import static dev.runlane.domain.RefusedException.Kind.TOO_MANY_REQUESTS;

/** The run API's use cases: start, read, list and cancel runs. */
public class RunService {
    public static final int DEFAULT_PAGE = 20;
    public static final int MAX_PAGE = 100;

    private final RunStore runs;
    private final Frames frames;
    private final ThreadQueue queue;
    private final Workflow workflow;
    private final Finalizer finalizer;
    private final int threadQueueCap;
    private final Clock clock;

    /** @param threadQueueCap most runs a thread may have waiting or running (SQS FIFO looks for groups only among its first 120,000 messages) */
    public RunService(RunStore runs, Frames frames, ThreadQueue queue, Workflow workflow, Finalizer finalizer,
                      int threadQueueCap, Clock clock) {
        this.runs = runs;
        this.frames = frames;
        this.queue = queue;
        this.workflow = workflow;
        this.finalizer = finalizer;
        this.threadQueueCap = threadQueueCap;
        this.clock = clock;
    }

    public record Started(Run run, boolean created) {
    }

    /** A run with its input and output, as GET shows it. */
    public record RunDetails(Run run, RunPayloads payloads) {
    }

    /**
     * Queues a run on its thread. With an idempotency key the run id is derived from (thread, key),
     * so any number of repeats, concurrent or not, name one run and enqueue it once. A thread with
     * {@code threadQueueCap} unfinished runs takes no new one (429), and nothing is stored.
     */
    public Started start(String threadId, StartRequest request, String idempotencyKey) {
        requireId("threadId", threadId);
        if (idempotencyKey != null && !RunIds.IDEMPOTENCY_KEY.matcher(idempotencyKey).matches()) {
            throw RefusedException.invalid("InvalidIdempotencyKey",
                    "Idempotency-Key must be 1-128 visible ASCII characters");
        }
        Instant now = clock.instant();
        String input = request.input().toString();
        String requestHash = HexFormat.of().formatHex(RunIds.sha256(
                request.target().wireName() + "\n" + request.daemonId() + "\n" + input));
        String runId = idempotencyKey == null ? RunIds.newRunId(now) : RunIds.forIdempotencyKey(threadId, idempotencyKey);
        boolean repeat = idempotencyKey != null && runs.find(runId).isPresent();
        if (!repeat && runs.countUnfinished(threadId, threadQueueCap) >= threadQueueCap) {
            throw new RefusedException(TOO_MANY_REQUESTS, "ThreadQueueFull", "thread " + threadId + " already has "
                    + threadQueueCap + " runs queued or running; start more once some have ended");
        }

        RunStore.Created stored = runs.create(
                Run.queued(runId, threadId, request.target(), request.daemonId(), requestHash, now));
        Run run = stored.run();
        if (!stored.created() && !requestHash.equals(run.requestHash())) {
            throw new RefusedException(CONFLICT, "IdempotencyKeyReused",
                    "this Idempotency-Key already started run " + runId + " with a different request");
        }
        if (run.queueSeq() == null) {
            // Also completes a start that failed before its enqueue: SQS deduplicates by runId.
            // The input is stored first, so a queued run always has it.
            runs.storeInput(runId, input, now);
            String seq = queue.enqueue(threadId, runId);
            runs.recordQueueSeq(runId, seq);
            run = run.withQueueSeq(seq);
        }
        return new Started(run, stored.created());
    }

    public Run get(String runId) {
        requireId("runId", runId);
        return runs.find(runId).orElseThrow(() -> notFound(runId));
    }

    public RunDetails details(String runId) {
        Run run = get(runId);
        return new RunDetails(run, runs.payloads(runId));
    }

    public Page<Run> list(String threadId, Integer limit, String cursor) {
        requireId("threadId", threadId);
        return paged(() -> runs.listByThread(threadId, pageSize(limit), cursor));
    }

    public Page<RunEvent> events(String runId, Integer limit, String cursor) {
        get(runId);
        return paged(() -> runs.events(runId, pageSize(limit), cursor));
    }

    /**
     * Cancels a run that has not ended: it becomes CANCELLED at once, its attempts are fenced out,
     * its execution is stopped and its thread moves on. A queued run never executes. A desktop run's
     * daemon also gets a cancel frame, so it stops the command at once.
     */
    public Run cancel(String runId) {
        Run run = get(runId);
        if (run.isTerminal() || !finalizer.finish(runId, Optional.of(Outcome.cancelled("cancelled by request"))).endedNow()) {
            throw new RefusedException(CONFLICT, "RunEnded",
                    "run " + runId + " has already ended " + get(runId).status());
        }
        // Also for a queued run: the gate may have started its execution a moment ago.
        workflow.stop(runId, "RunCancelled", "cancelled by request");
        Run cancelled = get(runId);
        if (cancelled.target() == Target.DESKTOP && cancelled.fenceToken() != null) {
            frames.send(Frame.cancel(cancelled.daemonId(), runId, cancelled.threadId(), cancelled.fenceToken(), clock.instant()));
        }
        return cancelled;
    }

    private static <T> Page<T> paged(Supplier<Page<T>> listing) {
        try {
            return listing.get();
        } catch (InvalidCursorException e) {
            throw RefusedException.invalid("InvalidNextToken", e.getMessage());
        }
    }

    private static int pageSize(Integer limit) {
        if (limit == null) {
            return DEFAULT_PAGE;
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw RefusedException.invalid("InvalidLimit", "limit must be between 1 and " + MAX_PAGE);
        }
        return limit;
    }

    private static void requireId(String name, String value) {
        if (!RunIds.isValid(value)) {
            throw RefusedException.invalid("Invalid" + Character.toUpperCase(name.charAt(0)) + name.substring(1),
                    name + " must be 1-64 letters, digits, '-' or '_', starting with a letter or digit");
        }
    }

    private static RefusedException notFound(String runId) {
        return new RefusedException(NOT_FOUND, "RunNotFound", "no run " + runId);
    }
}
