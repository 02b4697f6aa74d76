package dev.runlane.runs;

import dev.runlane.agent.Agents;
import dev.runlane.domain.BusyPolicy;
import dev.runlane.domain.InvalidCursorException;
import dev.runlane.domain.Page;
import dev.runlane.domain.RefusedException;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunPayloads;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.Target;
import dev.runlane.domain.ThreadQueue;
import dev.runlane.domain.ThreadState;
import dev.runlane.domain.Threads;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

import static dev.runlane.domain.RefusedException.Kind.CONFLICT;
import static dev.runlane.domain.RefusedException.Kind.NOT_FOUND;
import static dev.runlane.domain.RefusedException.Kind.LIMIT_REACHED;

/** The run API's use cases: start, read, list, cancel and rerun runs; watch their events; control threads. */
public class RunService {
    public static final int DEFAULT_PAGE = 20;
    public static final int MAX_PAGE = 100;
    /** A live events poll waits at most this long: API Gateway ends an HTTP API request at 30 s. */
    public static final int MAX_WAIT_SECONDS = 20;
    /**
     * How long a run may stay unqueued (stored, its queue message not confirmed) before it counts as a
     * start that died: longer than any start can take (API Gateway ends a request at 30 s).
     */
    public static final Duration ENQUEUE_GRACE = Duration.ofSeconds(60);
    private static final Logger LOG = Logger.getLogger(RunService.class.getName());
    /** How often a live events poll looks for new events: DynamoDB offers nothing to block on. */
    private static final Duration EVENTS_POLL = Duration.ofMillis(250);

    private final RunStore runs;
    private final Threads threads;
    private final ThreadQueue queue;
    private final Cancellation cancellation;
    private final int threadQueueCap;
    private final LongPollCap longPolls;
    private final Agents agents;
    private final Clock clock;

    /** @param threadQueueCap most runs a thread may have waiting or running (SQS FIFO looks for groups only among its first 120,000 messages) */
    public RunService(RunStore runs, Threads threads, ThreadQueue queue, Cancellation cancellation,
                      int threadQueueCap, Clock clock) {
        this(runs, threads, queue, cancellation, threadQueueCap, LongPollCap.NONE, Agents.load(Agents.ECHO), clock);
    }

    /**
     * @param longPolls bounds the live events polls each caller holds at once
     * @param agents the agents a hosted run may name
     */
    public RunService(RunStore runs, Threads threads, ThreadQueue queue, Cancellation cancellation,
                      int threadQueueCap, LongPollCap longPolls, Agents agents, Clock clock) {
        this.runs = runs;
        this.threads = threads;
        this.queue = queue;
        this.cancellation = cancellation;
        this.threadQueueCap = threadQueueCap;
        this.longPolls = longPolls;
        this.agents = agents;
        this.clock = clock;
    }

    public record Started(Run run, boolean created) {
    }

    /** A run with its input and output, as GET shows it. */
    public record RunDetails(Run run, RunPayloads payloads) {
    }

    /** A thread as GET shows it: its controls, its running run, how many wait, and its newest run. */
    public record ThreadView(ThreadState state, Run running, int queued, Run newest) {
    }

    /** A run's events after a cursor, the cursor to ask for what follows, and the run as it is now. */
    public record LiveEvents(List<RunEvent> events, String cursor, Run run) {
    }

    /**
     * Queues a run on its thread. With an idempotency key the run id is derived from (thread, key),
     * so any number of repeats, concurrent or not, name one run and enqueue it once, whatever its
     * policy. A thread with {@code threadQueueCap} unfinished runs takes no new one (429), a busy
     * thread no {@code reject} start (409), a hosted run no agent the function lacks (400 {@code UnknownAgent});
     * either way nothing is stored.
     */
    public Started start(String threadId, StartRequest request, String idempotencyKey) {
        requireId("threadId", threadId);
        if (request.target() == Target.HOSTED) {
            agents.forInput(request.input());
        }
        return enqueue(threadId, request.target(), request.daemonId(), StartRequest.storable(request.input().toString()),
                request.options(), null, idempotencyKey);
    }

    /** Starts a new run on the run's thread with its input, target and daemon, linked to it ({@code rerunOf}). */
    public Started rerun(String runId, StartOptions options, String idempotencyKey) {
        Run original = get(runId);
        String input = runs.payloads(runId).input();
        if (input == null) {
            throw new RefusedException(CONFLICT, "InputGone", "run " + runId + "'s input is no longer kept; start a new run");
        }
        // An input stored before today's limits (or by other means) is refused as a start of it would be.
        StartRequest.storable(input);
        if (original.target() == Target.HOSTED) {
            agents.forInput(Json.read(input));
        }
        return enqueue(original.threadId(), original.target(), original.daemonId(), input, options, runId, idempotencyKey);
    }

    private Started enqueue(String threadId, Target target, String daemonId, String input, StartOptions options,
                            String rerunOf, String idempotencyKey) {
        if (idempotencyKey != null && !RunIds.IDEMPOTENCY_KEY.matcher(idempotencyKey).matches()) {
            throw RefusedException.invalid("InvalidIdempotencyKey",
                    "Idempotency-Key must be 1-128 visible ASCII characters");
        }
        Instant now = clock.instant();
        String requestHash = HexFormat.of().formatHex(RunIds.sha256(target.wireName() + "\n" + daemonId + "\n" + input
                + (rerunOf == null ? "" : "\nrerunOf " + rerunOf)));
        String runId = idempotencyKey == null ? RunIds.newRunId(now) : RunIds.forIdempotencyKey(threadId, idempotencyKey);
        boolean repeat = idempotencyKey != null && runs.find(runId).isPresent();
        if (!repeat && options.onBusy() == BusyPolicy.REJECT && isBusy(threadId)) {
            throw new RefusedException(CONFLICT, "ThreadBusy", "thread " + threadId
                    + " has a run queued or running, and this run was started with onBusy reject");
        }

        Run queued = Run.queued(runId, threadId, target, daemonId, requestHash, options.toRunOptions(now, rerunOf), now);
        RunStore.Created stored = runs.create(queued, threadQueueCap)
                // Full: runs that can no longer execute still count until something ends them; end them and try once more.
                .or(() -> settleUnfinished(threadId) ? runs.create(queued, threadQueueCap) : Optional.empty())
                .orElseThrow(() -> new RefusedException(LIMIT_REACHED, "ThreadQueueFull", "thread " + threadId + " already has "
                        + threadQueueCap + " runs queued or running; start more once some have ended"));
        Run run = stored.run();
        if (!stored.created() && !requestHash.equals(run.requestHash())) {
            throw new RefusedException(CONFLICT, "IdempotencyKeyReused",
                    "this Idempotency-Key already started run " + runId + " with a different request");
        }
        try {
            if (run.queueSeq() == null && !run.isTerminal()) {
                // Also completes a start that failed before its enqueue: SQS deduplicates by runId.
                // The input is stored first, so a queued run always has it.
                runs.storeInput(runId, input, now);
                String seq = queue.enqueue(threadId, runId);
                runs.recordQueueSeq(runId, seq);
                run = run.withQueueSeq(seq);
            }
            if (run.options().onBusy() == BusyPolicy.CANCEL_OTHERS && !run.isTerminal()) {
                supersedeEarlierRuns(run);
            }
        } catch (RuntimeException failed) {
            if (idempotencyKey == null) {
                // No retry can name this run: the caller hears the start failed, so it must not run. (A
                // crash here leaves it unqueued, and it ends once ENQUEUE_GRACE has passed: see settle.)
                abandon(runId);
            }
            throw failed;
        }
        return new Started(run, stored.created());
    }

    /** Ends a run whose start failed, if it is still queued; the start's own error is what the caller hears. */
    private void abandon(String runId) {
        try {
            cancellation.cancel(runId, Outcome.startFailed(), true);
        } catch (RuntimeException alsoFailed) {
            LOG.warning(() -> "run " + runId + " stays unqueued until " + ENQUEUE_GRACE + " have passed: " + alsoFailed);
        }
    }

    /** A thread is busy while it has a run running, or queued and still able to execute. */
    private boolean isBusy(String threadId) {
        ThreadState thread = threads.find(threadId);
        return runs.unfinished(threadId).stream().anyMatch(run -> !settle(run, thread).isTerminal());
    }

    /** Ends the thread's unfinished runs that can no longer execute; whether it ended any. */
    private boolean settleUnfinished(String threadId) {
        ThreadState thread = threads.find(threadId);
        return runs.unfinished(threadId).stream().filter(run -> settle(run, thread).isTerminal()).count() > 0;
    }

    /**
     * Cancels every run of the thread enqueued before this one. The marker comes first: a run the gate
     * admits from now on sees it, and the run it admitted last is on the thread item this write
     * returns, so either side cancels it. Queued runs are found through the thread's unfinished runs.
     */
    private void supersedeEarlierRuns(Run run) {
        ThreadState thread = threads.supersedeBefore(run.threadId(), run.queueSeq());
        if (thread.admittedRun() != null && !thread.admittedRun().equals(run.runId())
                && thread.supersedes(thread.admittedPosition())) {
            cancellation.cancel(thread.admittedRun(), Outcome.superseded(), false);
        }
        for (Run other : runs.unfinished(run.threadId())) {
            String seq = other.queueSeq();
            if (!other.runId().equals(run.runId()) && seq != null && seq.compareTo(run.queueSeq()) < 0) {
                cancellation.cancel(other.runId(), Outcome.superseded(), false);
            }
        }
    }

    public Run get(String runId) {
        requireId("runId", runId);
        Run run = runs.find(runId).orElseThrow(() -> notFound(runId));
        return run.status() == RunStatus.QUEUED ? settle(run, threads.find(run.threadId())) : run;
    }

    public RunDetails details(String runId) {
        Run run = get(runId);
        return new RunDetails(run, runs.payloads(runId));
    }

    public Page<Run> list(String threadId, Integer limit, String cursor) {
        requireId("threadId", threadId);
        Page<Run> page = paged(() -> runs.listByThread(threadId, pageSize(limit), cursor));
        if (page.items().stream().noneMatch(run -> run.status() == RunStatus.QUEUED)) {
            return page;
        }
        ThreadState thread = threads.find(threadId);
        return new Page<>(page.items().stream().map(run -> settle(run, thread)).toList(), page.nextCursor());
    }

    /**
     * A queued run that can no longer execute shows so as soon as anyone looks, whether or not the gate
     * saw it yet: past its deadline it is EXPIRED; created before a cancel of its thread's queue, CANCELLED;
     * never queued by a start that died ENQUEUE_GRACE ago, FAILED. Returns the run as it is now.
     */
    private Run settle(Run run, ThreadState thread) {
        if (run.status() != RunStatus.QUEUED) {
            return run;
        }
        Instant now = clock.instant();
        Outcome outcome = run.options().hasExpired(now) ? Outcome.expired()
                : thread.cancelled(run.createdAt()) ? Outcome.cancelledWithThread()
                : run.queueSeq() == null && run.createdAt().plus(ENQUEUE_GRACE).isBefore(now) ? Outcome.startFailed()
                : null;
        if (outcome == null) {
            return run;
        }
        cancellation.cancel(run.runId(), outcome, true);
        return runs.find(run.runId()).orElse(run);
    }

    public Page<RunEvent> events(String runId, Integer limit, String cursor) {
        get(runId);
        return paged(() -> runs.events(runId, pageSize(limit), cursor));
    }

    /**
     * A run's events after the cursor, waiting up to {@code waitSeconds} for one to arrive. Returns at
     * once with what there is when the run has ended: nothing is written after that. A poll that has to
     * wait holds one of its caller's long-poll slots ({@link LongPollCap}) while it does.
     */
    public LiveEvents watch(String runId, String after, Integer waitSeconds, String caller) {
        int wait = waitSeconds == null ? 0 : waitSeconds;
        if (wait < 0 || wait > MAX_WAIT_SECONDS) {
            throw RefusedException.invalid("InvalidWait", "waitSeconds must be between 0 and " + MAX_WAIT_SECONDS);
        }
        try {
            return longPolls.poll(caller, clock, Duration.ofSeconds(wait), EVENTS_POLL, () -> liveEvents(runId, after),
                    seen -> !seen.events().isEmpty() || seen.run().isTerminal());
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("events poll interrupted", stopped);
        }
    }

    private LiveEvents liveEvents(String runId, String after) {
        // The status is read first: once it is terminal, every event is already written.
        Run run = get(runId);
        Page<RunEvent> page = paged(() -> runs.eventsAfter(runId, after, MAX_PAGE));
        return new LiveEvents(page.items(), page.nextCursor(), run);
    }

    /**
     * Cancels a run that has not ended: it becomes CANCELLED at once, its attempts are fenced out,
     * its execution is stopped and its thread moves on. A queued run never executes. A desktop run's
     * daemon also gets a cancel frame, so it stops the command at once.
     */
    public Run cancel(String runId) {
        get(runId);
        // A run already CANCELLED (a retry, a concurrent cancel) has the steps after its end redone.
        cancellation.cancel(runId, Outcome.cancelled("cancelled by request"), false);
        Run now = get(runId);
        if (now.status() != RunStatus.CANCELLED) {
            throw new RefusedException(CONFLICT, "RunEnded", "run " + runId + " has already ended " + now.status());
        }
        return now;
    }

    public ThreadView thread(String threadId) {
        requireId("threadId", threadId);
        return view(threads.find(threadId));
    }

    /** The threads most recently active first (a run admitted, a pause, a resume), one page of them. */
    public Page<ThreadView> threads(Integer limit, String cursor) {
        Page<ThreadState> page = paged(() -> threads.recent(pageSize(limit), cursor));
        return new Page<>(page.items().stream().map(this::view).toList(), page.nextCursor());
    }

    private ThreadView view(ThreadState state) {
        String threadId = state.threadId();
        Run running = null;
        int queued = 0;
        for (Run run : runs.unfinished(threadId)) {
            Run now = settle(run, state);
            if (now.status() == RunStatus.RUNNING) {
                running = now;
            } else if (now.status() == RunStatus.QUEUED) {
                queued++;
            }
        }
        return new ThreadView(state, running, queued, runs.newest(threadId).orElse(null));
    }

    /** While a thread is paused its running run goes on and new runs are queued, but none starts. */
    public ThreadView pause(String threadId) {
        requireId("threadId", threadId);
        threads.pause(threadId, clock.instant());
        return thread(threadId);
    }

    /**
     * Resumes a paused thread: the head message the gate held is released, so its next run starts at
     * once. A release that fails fails the request (the receipt stays on the thread: resuming again
     * releases it); a receipt the message no longer answers to means the gate has it already.
     */
    public ThreadView resume(String threadId) {
        requireId("threadId", threadId);
        threads.resume(threadId, clock.instant()).ifPresent(queue::release);
        return thread(threadId);
    }

    /** Which runs {@link #cancelThread} cancels: the queued ones, or also the running one. */
    public enum Include { QUEUED, ALL }

    /**
     * Cancels the thread's queued runs, and with {@code ALL} its running run too (last, so that no
     * queued run starts in between). Returns the runs this call cancelled.
     */
    public List<String> cancelThread(String threadId, Include include) {
        requireId("threadId", threadId);
        // The marker first: a run the listing below misses (created a moment ago, or the request dies
        // half-way) is cancelled by the gate when it reaches the head, or by any read of it.
        threads.cancelQueueBefore(threadId, clock.instant());
        ThreadState thread = threads.find(threadId);
        List<Run> unfinished = runs.unfinished(threadId);
        List<String> cancelled = new ArrayList<>();
        Outcome outcome = Outcome.cancelledWithThread();
        unfinished.stream().filter(run -> run.status() == RunStatus.QUEUED).map(Run::runId)
                .filter(runId -> cancellation.cancel(runId, outcome, include == Include.QUEUED))
                .forEach(cancelled::add);
        if (include == Include.ALL) {
            Set<String> running = new LinkedHashSet<>();
            unfinished.stream().filter(run -> run.status() == RunStatus.RUNNING).map(Run::runId).forEach(running::add);
            if (thread.admittedRun() != null) {
                running.add(thread.admittedRun()); // admitted a moment ago: the listing may not show it RUNNING yet
            }
            running.stream().filter(runId -> cancellation.cancel(runId, outcome, false)).forEach(cancelled::add);
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
                    name + " must be " + RunIds.RULE);
        }
    }

    private static RefusedException notFound(String runId) {
        return new RefusedException(NOT_FOUND, "RunNotFound", "no run " + runId);
    }
}
