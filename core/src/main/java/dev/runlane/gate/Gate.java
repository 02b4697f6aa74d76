package dev.runlane.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.domain.Admission;
import dev.runlane.domain.BusyPolicy;
import dev.runlane.domain.Page;
import dev.runlane.domain.QueueMessage;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.Target;
import dev.runlane.domain.ThreadQueue;
import dev.runlane.domain.ThreadState;
import dev.runlane.domain.Threads;
import dev.runlane.domain.Workflow;
import dev.runlane.domain.Workflow.Execution;
import dev.runlane.runs.Cancellation;
import dev.runlane.runs.Finalizer;
import dev.runlane.runs.Json;
import dev.runlane.runs.Outcome;
import dev.runlane.runs.RunIds;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The thread gate (DESIGN.md, "The gate protocol"). A thread's head message stays in flight while its
 * run executes, so SQS delivers no later run of that thread: the queue alone guarantees single
 * execution. A message is either done (deleted: the thread moves on) or kept (reported as a batch item
 * failure: it stays in flight, held, or comes back).
 */
public class Gate {
    private static final Logger LOG = Logger.getLogger(Gate.class.getName());
    private static final ObjectMapper JSON = Json.MAPPER;

    /** SQS's visibility cap counts from the receive; a hold stays below it. */
    static final int MAX_HOLD_SECONDS = 42_900;
    /** Receives a running run's head message may take before maxReceiveCount (1000) moves it aside. */
    static final int RECEIVES_PER_RUN = 900;

    /** A paused head's hold: SQS's 14-day retention in at most {@link #RECEIVES_PER_RUN} receives (22 min). */
    static final int PAUSED_HOLD_SECONDS = (1_209_600 + RECEIVES_PER_RUN - 1) / RECEIVES_PER_RUN;
    /** Admissions tried for one delivery while a pause, supersede or thread cancel keeps changing under it. */
    private static final int MAX_ADMISSION_TRIES = 3;
    /** Runs read per page when deciding whether a {@code reject} run's thread was busy. */
    private static final int EARLIER_PAGE = 25;

    private final RunStore runs;
    private final Threads threads;
    private final ThreadQueue queue;
    private final Workflow workflow;
    private final Finalizer finalizer;
    private final Cancellation cancellation;
    private final int holdSeconds;
    private final Clock clock;

    public Gate(RunStore runs, Threads threads, ThreadQueue queue, Workflow workflow, Finalizer finalizer,
                Cancellation cancellation, int holdSeconds, Clock clock) {
        this.runs = runs;
        this.threads = threads;
        this.queue = queue;
        this.workflow = workflow;
        this.finalizer = finalizer;
        this.cancellation = cancellation;
        this.holdSeconds = holdSeconds;
        this.clock = clock;
    }

    /**
     * The execution input of a run: ids only, so no input a user sends can push a state past Step
     * Functions' 256 KiB (the attempt reads the run's input from the store). Built only from stored
     * fields, so it is byte-identical on every start.
     */
    public static String executionInput(Run run) {
        ObjectNode input = JSON.createObjectNode()
                .put("runId", run.runId())
                .put("threadId", run.threadId())
                .put("target", run.target().wireName());
        if (run.target() == Target.DESKTOP) {
            input.put("daemonId", run.daemonId());
        }
        return input.toString();
    }

    /**
     * The hold per receive: HoldSeconds, the backstop that re-checks a run whose end event was lost,
     * but never so short that a run lasting RunTimeoutSeconds is received more than
     * {@link #RECEIVES_PER_RUN} times: its message would go to the dead-letter queue and free its
     * thread while it still runs.
     */
    public static int holdSeconds(int holdSeconds, int runTimeoutSeconds) {
        int floor = (runTimeoutSeconds + RECEIVES_PER_RUN - 1) / RECEIVES_PER_RUN;
        return Math.min(MAX_HOLD_SECONDS, Math.max(holdSeconds, floor));
    }

    /** Admits a batch in order; returns the ids of the messages to keep in flight. */
    public List<String> admit(List<QueueMessage> batch) {
        List<String> kept = new ArrayList<>();
        Set<String> heldGroups = new HashSet<>();
        for (QueueMessage message : batch) {
            if (heldGroups.contains(message.groupId())) {
                // A later message of a held thread must not overtake its head: it is not admitted.
                kept.add(message.messageId());
                giveBack(message);
            } else if (!isDone(message)) {
                kept.add(message.messageId());
                heldGroups.add(message.groupId());
            }
        }
        return kept;
    }

    /**
     * SQS may deliver several messages of one thread in a batch. Left in flight, a later one would
     * stall its thread for the queue's visibility timeout after the head ends; made visible, it still
     * waits behind the head, since SQS returns nothing of a group while a message of it is in flight.
     */
    private void giveBack(QueueMessage message) {
        try {
            queue.release(message.receiptHandle());
        } catch (RuntimeException e) {
            LOG.fine(() -> "message " + message.messageId() + " stays in flight until its visibility timeout: " + e);
        }
    }

    private boolean isDone(QueueMessage message) {
        try {
            return admitOne(message);
        } catch (RuntimeException e) {
            // Transient (throttling, network): the message comes back and is admitted again.
            LOG.log(Level.WARNING, "could not admit message " + message.messageId() + " of thread "
                    + message.groupId() + "; it will be retried: " + e);
            return false;
        }
    }

    private boolean admitOne(QueueMessage message) {
        Optional<Run> found = readRunRef(message).flatMap(runs::find);
        if (found.isEmpty() || !found.get().threadId().equals(message.groupId())) {
            String reason = found.isEmpty() ? "names no run" : "belongs to another thread";
            deadLetter(message, "the message " + reason);
            return true;
        }
        Run run = found.get();
        return switch (run.status()) {
            case QUEUED -> admitQueued(run, message);
            case RUNNING -> resume(run, message);
            case CANCELLED -> stopped(run);
            default -> true;
        };
    }

    /**
     * A cancelled run's thread moves on only once its execution is stopped: a cancel cut short after
     * the run's end (its StopExecution failed, its process died) is completed here, not left to run
     * beside the thread's next run. Stopping an execution that has ended does nothing. True: the message is done.
     */
    private boolean stopped(Run run) {
        if (run.status() == RunStatus.CANCELLED && run.executionArn() != null) {
            workflow.stop(run.runId(), "RunCancelled", run.error() == null ? "cancelled" : run.error().message());
        }
        return true;
    }

    /** The head of its thread: every run enqueued before it has ended. */
    private boolean admitQueued(Run run, QueueMessage message) {
        String position = queuePosition(run, message);
        // A refused admission means the thread or the deadline changed since they were read, so the next
        // decision is not START; a thread paused and resumed over and over is retried with the message.
        for (int tries = 0; tries < MAX_ADMISSION_TRIES; tries++) {
            ThreadState thread = threads.find(run.threadId());
            switch (Admission.decide(run, position, thread, clock.instant())) {
                case EXPIRE -> {
                    return end(run, message, position, Outcome.expired());
                }
                case SUPERSEDE -> {
                    return end(run, message, position, Outcome.superseded());
                }
                case CANCEL -> {
                    return end(run, message, position, Outcome.cancelledWithThread());
                }
                case HOLD_PAUSED -> {
                    return holdWhilePaused(run, message);
                }
                case START -> {
                    if (run.options().onBusy() == BusyPolicy.REJECT && wasBusyAtEnqueue(run, position)) {
                        return end(run, message, position, Outcome.rejected());
                    }
                    if (runs.admit(run, position, workflow.executionArn(run.runId()), message.receiptHandle(), clock.instant())) {
                        return start(run, message);
                    }
                    Optional<Run> now = runs.find(run.runId());
                    if (now.isEmpty() || now.get().isTerminal()) {
                        return true;
                    }
                    if (now.get().status() == RunStatus.RUNNING) {
                        return resume(now.get(), message);
                    }
                    run = now.get();
                }
            }
        }
        return false;
    }

    /**
     * Ends a queued run that must not execute; the message is done. A run that is RUNNING by now was
     * admitted by an earlier delivery (a gate that crashed before deleting the message), and is held
     * like any running run.
     */
    private boolean end(Run run, QueueMessage message, String position, Outcome outcome) {
        if (run.queueSeq() == null && position != null) {
            // Its start may have died before recording it: a later reject run must see it among the earlier ones.
            runs.recordQueueSeq(run.runId(), position);
        }
        if (cancellation.cancel(run.runId(), outcome, true)) {
            LOG.info(() -> "run " + run.runId() + " of thread " + run.threadId() + " ended " + outcome.status() + " unstarted");
            return true;
        }
        return runs.find(run.runId()).map(now -> now.isTerminal() || resume(now, message)).orElse(true);
    }

    /**
     * A paused thread's head stays in flight with its receipt on the thread, so that resume releases it
     * at once. It is held for {@link #PAUSED_HOLD_SECONDS} at a time and held again on each redelivery
     * while the thread is paused: a resume that died before its release frees the thread within that
     * hold, and a message paused for SQS's whole retention still stays under maxReceiveCount. Resumed
     * meanwhile: the message is given back and admitted again.
     */
    private boolean holdWhilePaused(Run run, QueueMessage message) {
        if (threads.holdWhilePaused(run.threadId(), message.receiptHandle())) {
            queue.hold(message.receiptHandle(), Math.max(holdSeconds, PAUSED_HOLD_SECONDS));
            if (threads.find(run.threadId()).paused()) {
                return false;
            }
        }
        queue.release(message.receiptHandle());
        return false;
    }

    private boolean wasBusyAtEnqueue(Run run, String position) {
        if (position == null) {
            return false;
        }
        String cursor = null;
        do {
            Page<Run> page = runs.enqueuedBefore(run.threadId(), position, EARLIER_PAGE, cursor);
            // The index may lag: a run that looks unfinished there is read again.
            List<Run> earlier = page.items().stream()
                    .map(r -> r.isTerminal() ? r : runs.find(r.runId()).orElse(r)).toList();
            Optional<Boolean> busy = Admission.busyAtEnqueue(run, earlier);
            if (busy.isPresent()) {
                return busy.get();
            }
            cursor = page.nextCursor();
        } while (cursor != null);
        return false;
    }

    /**
     * Starts the admitted run's execution (idempotent by name) and holds its thread. A run that ended
     * since its admission (a cancel may have found no execution to stop yet) has its execution stopped.
     */
    private boolean start(Run run, QueueMessage message) {
        String executionArn = workflow.start(run.runId(), executionInput(run));
        LOG.info(() -> "run " + run.runId() + " of thread " + run.threadId() + " started: " + executionArn);
        if (runs.find(run.runId()).map(Run::isTerminal).orElse(true)) {
            workflow.stop(run.runId(), "RunCancelled", "the run ended before its execution started");
            return true;
        }
        return hold(run, message);
    }

    /** Redelivered while RUNNING (hold expired, or a crash): end the run if its execution ended, else hold again. */
    private boolean resume(Run run, QueueMessage message) {
        Optional<Execution> execution = workflow.describe(run.runId());
        if (execution.isEmpty()) {
            // Admitted, but the gate died or StartExecution failed before the execution started.
            return runs.markRunning(run.runId(), workflow.executionArn(run.runId()), message.receiptHandle(), null).isEmpty()
                    ? endedMeanwhile(run) : start(run, message);
        }
        if (execution.get().hasEnded()) {
            finalizer.finish(run.runId(), Optional.of(Outcome.ofExecution(execution.get())));
            return true;
        }
        return runs.markRunning(run.runId(), execution.get().arn(), message.receiptHandle(), null).isEmpty()
                ? endedMeanwhile(run) : hold(run, message);
    }

    /** The run's place in its thread's queue: as recorded at its start, else its message's sequence number. */
    private static String queuePosition(Run run, QueueMessage message) {
        return run.queueSeq() != null ? run.queueSeq() : message.queuePosition();
    }

    /** Keeps a running run's head in flight; the run may have ended before the hold, whose release then came too early. */
    private boolean hold(Run run, QueueMessage message) {
        queue.hold(message.receiptHandle(), holdSeconds);
        return runs.find(run.runId()).map(Run::isTerminal).orElse(true) && endedMeanwhile(run);
    }

    /** The run ended since it was read (a cancel, a finalize): its message is done once a cancelled run's execution is stopped. */
    private boolean endedMeanwhile(Run run) {
        return runs.find(run.runId()).map(this::stopped).orElse(true);
    }

    private Optional<String> readRunRef(QueueMessage message) {
        try {
            JsonNode body = JSON.readTree(message.body());
            String runId = body.path("runId").asText(null);
            return RunIds.isValid(runId) ? Optional.of(runId) : Optional.empty();
        } catch (Exception notJson) {
            return Optional.empty();
        }
    }

    /** Never blocks the thread, never silently dropped: the message goes to the DLQ, with a log line. */
    private void deadLetter(QueueMessage message, String reason) {
        LOG.severe(() -> "malformed message " + message.messageId() + " on thread " + message.groupId() + ": "
                + reason + "; moved to the dead-letter queue");
        queue.deadLetter(message, reason);
    }
}
