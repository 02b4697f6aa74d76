package dev.runlane.testing;

import dev.runlane.domain.Fence;
import dev.runlane.domain.Frame;
import dev.runlane.domain.Frames;
import dev.runlane.domain.Page;
import dev.runlane.domain.QueueMessage;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunError;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunPayloads;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.StaleAttemptException;
import dev.runlane.domain.ThreadQueue;
import dev.runlane.domain.ThreadState;
import dev.runlane.domain.Threads;
import dev.runlane.domain.Workflow;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * In-memory stand-ins for the domain's ports, for fast unit tests of domain logic (gate decisions,
 * finalize, cancel). They model the ports' contracts, not AWS: AWS behaviour is tested against moto.
 */
public final class InMemoryPorts {
    public final ThreadBook threads = new ThreadBook();
    public final Runs runs = new Runs(threads);
    public final Queue queue = new Queue();
    public final Flow workflow = new Flow();
    public final Fences fence = new Fences(runs);
    public final FrameBox frames = new FrameBox();
    public final Registry daemons = new Registry();

    public static final class ThreadBook implements Threads {
        public final Map<String, ThreadState> states = new HashMap<>();

        @Override public ThreadState find(String threadId) { return states.getOrDefault(threadId, ThreadState.idle(threadId)); }

        /** One page only: the tests list fewer threads than a page holds. */
        @Override
        public Page<ThreadState> recent(int limit, String cursor) {
            return new Page<>(states.values().stream().filter(t -> t.activeAt() != null)
                    .sorted(Comparator.comparing(ThreadState::activeAt).reversed()).limit(limit).toList(), null);
        }

        @Override
        public ThreadState pause(String threadId, Instant at) {
            ThreadState t = find(threadId);
            return put(new ThreadState(threadId, true, t.paused() ? t.pausedAt() : at, t.heldReceipt(), t.supersededBefore(),
                    t.admittedRun(), t.admittedPosition(), at, t.cancelledBefore()));
        }

        @Override
        public Optional<String> resume(String threadId, Instant at) {
            ThreadState t = find(threadId);
            put(new ThreadState(threadId, false, null, t.heldReceipt(), t.supersededBefore(), t.admittedRun(), t.admittedPosition(), at,
                    t.cancelledBefore()));
            return Optional.ofNullable(t.heldReceipt());
        }

        @Override
        public boolean holdWhilePaused(String threadId, String receiptHandle) {
            ThreadState t = find(threadId);
            if (!t.paused()) {
                return false;
            }
            put(new ThreadState(threadId, true, t.pausedAt(), receiptHandle, t.supersededBefore(), t.admittedRun(),
                    t.admittedPosition(), t.activeAt(), t.cancelledBefore()));
            return true;
        }

        @Override
        public ThreadState supersedeBefore(String threadId, String queuePosition) {
            ThreadState t = find(threadId);
            if (t.supersededBefore() == null || t.supersededBefore().compareTo(queuePosition) < 0) {
                return put(new ThreadState(threadId, t.paused(), t.pausedAt(), t.heldReceipt(), queuePosition,
                        t.admittedRun(), t.admittedPosition(), t.activeAt(), t.cancelledBefore()));
            }
            return t;
        }

        @Override
        public void cancelQueueBefore(String threadId, Instant at) {
            ThreadState t = find(threadId);
            if (t.cancelledBefore() == null || t.cancelledBefore().isBefore(at)) {
                put(new ThreadState(threadId, t.paused(), t.pausedAt(), t.heldReceipt(), t.supersededBefore(), t.admittedRun(),
                        t.admittedPosition(), t.activeAt(), at));
            }
        }

        /** The thread's side of an admission: refused while paused, superseding the position or cancelled since the run's creation. */
        boolean admit(Run run, String queuePosition, Instant at) {
            ThreadState t = find(run.threadId());
            if (t.paused() || t.supersedes(queuePosition) || t.cancelled(run.createdAt())) {
                return false;
            }
            put(new ThreadState(t.threadId(), false, t.pausedAt(), t.heldReceipt(), t.supersededBefore(), run.runId(),
                    queuePosition, at, t.cancelledBefore()));
            return true;
        }

        private ThreadState put(ThreadState state) {
            states.put(state.threadId(), state);
            return state;
        }
    }

    public static final class Registry implements dev.runlane.domain.Daemons {
        public final Map<String, String> hashes = new HashMap<>();

        @Override public boolean register(String daemonId, String credentialHash, Instant at) {
            return hashes.putIfAbsent(daemonId, credentialHash) == null;
        }

        @Override public Optional<String> credentialHash(String daemonId) { return Optional.ofNullable(hashes.get(daemonId)); }

        @Override public boolean replaceCredential(String daemonId, String credentialHash, Instant at) {
            return hashes.replace(daemonId, credentialHash) != null;
        }

        @Override public boolean remove(String daemonId) { return hashes.remove(daemonId) != null; }
    }

    public static class FrameBox implements Frames {
        public final List<Frame> sent = new ArrayList<>();

        @Override public void send(Frame frame) { sent.add(frame); }

        @Override
        public List<Frame> unacknowledged(String daemonId, int limit) {
            return sent.stream().filter(f -> f.daemonId().equals(daemonId))
                    .sorted(Comparator.comparing(Frame::frameId)).limit(limit).toList();
        }

        @Override
        public List<String> acknowledge(String daemonId, List<String> frameIds) {
            List<String> removed = sent.stream().filter(f -> f.daemonId().equals(daemonId) && frameIds.contains(f.frameId()))
                    .map(Frame::frameId).toList();
            sent.removeIf(f -> f.daemonId().equals(daemonId) && frameIds.contains(f.frameId()));
            return removed;
        }
    }

    public static class Runs implements RunStore {
        private final ThreadBook threads;
        public final Map<String, Run> items = new HashMap<>();
        public final Map<String, String> inputs = new HashMap<>();
        public final Map<String, String> outputs = new HashMap<>();

        public Runs(ThreadBook threads) {
            this.threads = threads;
        }

        public Run put(Run run) {
            items.put(run.runId(), run);
            return run;
        }

        @Override public Optional<Run> find(String runId) { return Optional.ofNullable(items.get(runId)); }

        @Override
        public Optional<Created> create(Run run, int threadCap) {
            Run existing = items.get(run.runId());
            if (existing != null) {
                return Optional.of(new Created(existing, false));
            }
            if (unfinished(run.threadId()).size() >= threadCap) {
                return Optional.empty();
            }
            items.put(run.runId(), run);
            return Optional.of(new Created(run, true));
        }

        @Override public void storeInput(String runId, String input, Instant at) { inputs.put(runId, input); }

        @Override public RunPayloads payloads(String runId) { return new RunPayloads(inputs.get(runId), outputs.get(runId)); }

        @Override
        public void recordQueueSeq(String runId, String queueSeq) {
            items.computeIfPresent(runId, (id, run) -> run.queueSeq() == null ? run.withQueueSeq(queueSeq) : run);
        }

        @Override
        public Page<Run> listByThread(String threadId, int limit, String cursor) {
            List<Run> runs = items.values().stream().filter(r -> r.threadId().equals(threadId) && r.queueSeq() != null)
                    .sorted(Comparator.comparing(Run::queueSeq)).limit(limit).toList();
            return new Page<>(runs, null);
        }

        @Override
        public List<Run> unfinished(String threadId) {
            return items.values().stream().filter(r -> r.threadId().equals(threadId) && !r.isTerminal())
                    .toList();
        }

        @Override
        public Page<Run> enqueuedBefore(String threadId, String queuePosition, int limit, String cursor) {
            List<Run> runs = items.values().stream().filter(r -> r.threadId().equals(threadId) && r.queueSeq() != null
                    && r.queueSeq().compareTo(queuePosition) < 0).sorted(Comparator.comparing(Run::queueSeq).reversed()).toList();
            return new Page<>(runs, null);
        }

        @Override
        public Optional<Run> newest(String threadId) {
            return items.values().stream().filter(r -> r.threadId().equals(threadId) && r.queueSeq() != null)
                    .max(Comparator.comparing(Run::queueSeq));
        }

        @Override
        public Optional<Run> markRunning(String runId, String executionArn, String receiptHandle, String queuePosition) {
            Run run = items.get(runId);
            if (run == null || run.isTerminal()) {
                return Optional.empty();
            }
            Run running = with(run, RunStatus.RUNNING, executionArn, receiptHandle, null, null);
            return Optional.of(put(running.queueSeq() == null && queuePosition != null ? running.withQueueSeq(queuePosition) : running));
        }

        @Override
        public boolean admit(Run run, String queuePosition, String executionArn, String receiptHandle, Instant at) {
            Run now = items.get(run.runId());
            if (now == null || now.status() != RunStatus.QUEUED || now.options().hasExpired(at) || !threads.admit(now, queuePosition, at)) {
                return false;
            }
            Run running = with(now, RunStatus.RUNNING, executionArn, receiptHandle, null, null);
            put(running.queueSeq() == null ? running.withQueueSeq(queuePosition) : running);
            return true;
        }

        /** The run's side of {@link Fence#end}. */
        boolean end(String runId, RunStatus status, RunError error, Instant at, boolean onlyIfQueued) {
            Run run = items.get(runId);
            if (run == null || run.isTerminal() || (onlyIfQueued && run.status() != RunStatus.QUEUED)) {
                return false;
            }
            put(with(run, status, run.executionArn(), run.receiptHandle(), error, at));
            return true;
        }

        @Override
        public void countStaleWrite(String runId) {
            Run r = items.get(runId);
            put(new Run(r.runId(), r.threadId(), r.target(), r.daemonId(), r.status(), r.attempts(),
                    r.fenceToken(), r.executionArn(), r.error(), r.createdAt(), r.startedAt(),
                    r.finishedAt(), r.queueSeq(), r.receiptHandle(), r.requestHash(), r.staleWrites() + 1, r.taskToken(), r.options()));
        }

        @Override public Page<RunEvent> events(String runId, int limit, String cursor) { return new Page<>(List.of(), null); }

        @Override public Page<RunEvent> eventsAfter(String runId, String after, int limit) { return new Page<>(List.of(), after); }

        private static Run with(Run r, RunStatus status, String arn, String receipt, RunError error, Instant finishedAt) {
            return new Run(r.runId(), r.threadId(), r.target(), r.daemonId(), status, r.attempts(),
                    r.fenceToken(), arn, error, r.createdAt(), r.startedAt(), finishedAt, r.queueSeq(),
                    receipt, r.requestHash(), r.staleWrites(), r.taskToken(), r.options());
        }
    }

    public static class Queue implements ThreadQueue {
        private final AtomicLong seq = new AtomicLong();
        public final List<String> enqueued = new ArrayList<>();
        public final Map<String, Integer> visibility = new HashMap<>();
        public final List<QueueMessage> deadLetters = new ArrayList<>();
        public final List<String> done = new ArrayList<>();

        @Override
        public String enqueue(String threadId, String runId) {
            enqueued.add(runId);
            return String.format("%040d", seq.incrementAndGet());
        }

        @Override public void hold(String receiptHandle, int seconds) { visibility.put(receiptHandle, seconds); }
        @Override public void release(String receiptHandle) { visibility.put(receiptHandle, 0); }
        @Override public void done(String receiptHandle) { done.add(receiptHandle); }
        @Override public void deadLetter(QueueMessage message, String reason) { deadLetters.add(message); }
    }

    public static class Flow implements Workflow {
        public final Map<String, Execution> executions = new HashMap<>();

        @Override public String executionArn(String runId) { return "arn:execution:" + runId; }
        public final List<String> started = new ArrayList<>();
        public final List<String> stopped = new ArrayList<>();

        @Override
        public String start(String runId, String input) {
            started.add(runId);
            return executions.computeIfAbsent(runId, id -> new Execution(executionArn(id), Status.RUNNING, null, null, null)).arn();
        }

        @Override public Optional<Execution> describe(String runId) { return Optional.ofNullable(executions.get(runId)); }

        /** Task callbacks as "heartbeat|succeed|fail:token:detail"; {@code endedTasks} answer TaskEnded. */
        public final List<String> taskCalls = new ArrayList<>();
        public final java.util.Set<String> endedTasks = new java.util.HashSet<>();

        @Override public void heartbeat(String taskToken) { task("heartbeat", taskToken, ""); }
        @Override public void succeed(String taskToken, String output) { task("succeed", taskToken, output); }
        @Override public void fail(String taskToken, String error, String cause) { task("fail", taskToken, error + "/" + cause); }

        private void task(String call, String taskToken, String detail) {
            if (endedTasks.contains(taskToken)) {
                throw new dev.runlane.domain.TaskEndedException(taskToken);
            }
            taskCalls.add(call + ":" + taskToken + ":" + detail);
        }

        @Override
        public void stop(String runId, String error, String cause) {
            stopped.add(runId);
            executions.computeIfPresent(runId, (id, e) -> new Execution(e.arn(), Status.ABORTED, null, error, cause));
        }
    }

    /**
     * The fence's rules: tokens only grow; an attempt acquires only after earlier attempts of its run;
     * a write needs the newest token; ending a run fences it out only while it holds the newest token.
     * (Acquire's run status checks are the store's: the moto-backed FenceIT covers those.)
     */
    public static final class Fences implements Fence {
        private final Runs runs;
        public final Map<String, Long> tokens = new HashMap<>();
        public final Map<String, String> holders = new HashMap<>();
        public final Map<String, Integer> attempts = new HashMap<>();
        public final List<RunEvent> events = new ArrayList<>();
        public final Map<String, String> outputs = new HashMap<>();
        private final Map<String, Long> outputTokens = new HashMap<>();

        Fences(Runs runs) {
            this.runs = runs;
        }

        @Override
        public long acquire(String threadId, String runId, int attempt, Instant at) {
            if (runId.equals(holders.get(threadId)) && attempts.getOrDefault(threadId, 0) >= attempt) {
                throw new StaleAttemptException("attempt " + attempt + " of run " + runId + " is refused");
            }
            holders.put(threadId, runId);
            attempts.put(threadId, attempt);
            return tokens.merge(threadId, 1L, Long::sum);
        }

        @Override
        public void recordOutput(String threadId, String runId, long token, String output) {
            check(threadId, runId, token);
            if (token == outputTokens.getOrDefault(runId, 0L) && !output.equals(outputs.get(runId))) {
                throw new dev.runlane.domain.OutputRecordedException(runId, token);
            }
            outputs.put(runId, output);
            outputTokens.put(runId, token);
        }

        @Override public String epoch() { return "in-memory"; }

        @Override
        public boolean end(String threadId, String runId, RunStatus status, RunError error, Instant at, boolean onlyIfQueued) {
            if (!runs.end(runId, status, error, at, onlyIfQueued)) {
                return false;
            }
            if (runId.equals(holders.get(threadId))) {
                tokens.merge(threadId, 1L, Long::sum);
            }
            return true;
        }

        @Override
        public void append(String threadId, RunEvent event) {
            check(threadId, event.runId(), event.fenceToken());
            events.add(event);
        }

        @Override
        public void sendStart(String threadId, Frame start, String taskToken) {
            check(threadId, start.runId(), start.fenceToken());
        }

        @Override
        public void confirm(String threadId, String runId, long token) {
            check(threadId, runId, token);
        }

        private void check(String threadId, String runId, long token) {
            if (tokens.getOrDefault(threadId, 0L) != token) {
                throw new StaleAttemptException(runId, token);
            }
        }
    }

    /** The queue message of a run as the gate receives it: message {@code messageId}, receipt {@code r-<messageId>}. */
    public static QueueMessage message(String messageId, Run run) {
        return new QueueMessage(messageId, "r-" + messageId, QueueMessage.body(run.threadId(), run.runId()), run.threadId(),
                run.runId(), run.queueSeq());
    }
}
