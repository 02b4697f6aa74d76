package dev.runlane.localcloud.lambda;

import dev.runlane.localcloud.faults.Fault;
import dev.runlane.localcloud.faults.FaultKind;
import dev.runlane.localcloud.faults.Faults;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The sandboxes of one function: at most {@code max} of them, each busy with at most one invocation. A function
 * with a reserved concurrency no larger than the local limit is throttled as on Lambda: a synchronous invocation
 * past it answers 429 at once. Otherwise the local limit is this machine's capacity, not the product's, and an
 * invocation waits for a sandbox, as long as it takes, where Lambda would have run it at once (logged).
 */
final class FunctionPool {
    /** An invocation that waited longer than this for local capacity says so in the log. */
    private static final long LOGGED_WAIT_MS = 1_000;
    private static final long WAIT_LOG_EVERY_NANOS = 10_000_000_000L;
    /** How long an invocation waiting for a cold-start slot looks for a sandbox given back meanwhile. */
    private static final long COLD_START_POLL_MS = 50;
    /** At most this long does a busy function's invocation wait for a warm sandbox before a cold start. */
    private static final double MAX_WARM_WAIT_MS = 2_000;
    /** At most this long does an invocation wait for a sandbox already in INIT in the background (Lambda's INIT limit). */
    private static final long MAX_START_WAIT_NANOS = 10_000_000_000L;
    /** The recent invocations kept for the edge's listing. */
    private static final int RECENT = 20;
    private static final int LOG_RESULT_BYTES = 4096;

    interface Launcher {
        Sandbox launch(FunctionSpec spec) throws IOException;
    }

    final FunctionSpec spec;
    private final int max;
    private final Launcher launcher;
    private final Consumer<String> log;
    private final Faults faults;
    private final Semaphore permits;
    private final Semaphore coldStarts;
    private final BlockingDeque<Sandbox> idle = new LinkedBlockingDeque<>();
    private final Set<Sandbox> all = ConcurrentHashMap.newKeySet();
    /** The function's ReservedConcurrentExecutions is what bounds it here, not the local limit. */
    private final boolean reservationBinds;
    /** When a long wait was last logged (nanoTime, 0 never), and how many long waits since. */
    private final AtomicLong lastWaitLogged = new AtomicLong();
    private final AtomicInteger longWaits = new AtomicInteger();
    /** Sandboxes in INIT that will go idle (prewarmed or replacing one a fault killed), not started for an invocation. */
    private final AtomicInteger starting = new AtomicInteger();
    private final Deque<Invocation> recent = new ArrayDeque<>();
    private volatile double warmMs;
    private volatile boolean closed;

    /**
     * @param coldStarts shared by every function: how many sandboxes may be in INIT at once. JVMs that
     *     start together on a few cores each take many times longer (measured: 22 s instead of 1 s for
     *     10 at once on 2 busy cores), longer than an attempt's timeout.
     */
    FunctionPool(FunctionSpec spec, int localMax, Launcher launcher, Consumer<String> log, Faults faults, Semaphore coldStarts) {
        this.spec = spec;
        this.coldStarts = coldStarts;
        this.log = log;
        this.faults = faults;
        Integer reserved = spec.reservedConcurrency();
        this.reservationBinds = reserved != null && reserved <= localMax;
        this.max = reservationBinds ? reserved : localMax;
        this.launcher = launcher;
        this.permits = new Semaphore(max, true);
    }

    /** @param throttle false for queued (Event) invocations, which wait as long as it takes, as Lambda's async queue does */
    InvokeResult invoke(byte[] payload, boolean throttle) throws InterruptedException {
        if (throttle && reservationBinds) {
            if (!permits.tryAcquire()) {
                throw new TooManyRequestsException(spec.name(), max);
            }
        } else if (!permits.tryAcquire()) {
            long waitFrom = System.nanoTime();
            permits.acquire();
            long waitedMs = (System.nanoTime() - waitFrom) / 1_000_000;
            if (waitedMs > LOGGED_WAIT_MS) {
                logLongWait(waitedMs);
            }
        }
        try {
            if (closed) {
                throw new IllegalStateException("the local cloud is shutting down");
            }
            Optional<Fault> delay = faults.fire(spec.name(), FaultKind.DELAY);
            if (delay.isPresent()) {
                Thread.sleep(delay.get().delayMs()); // the injected slow start itself, holding its sandbox's place as one does
            }
            Invocation invocation = new Invocation(payload);
            faults.fire(spec.name(), FaultKind.KILL).ifPresent(kill -> invocation.killAfterMs = kill.afterMs());
            return invokeOn(sandbox(), invocation);
        } finally {
            permits.release();
        }
    }

    /** Says that an invocation waited for local capacity, at most once every 10 s per function (a burst is one line). */
    private void logLongWait(long waitedMs) {
        long now = System.nanoTime();
        long last = lastWaitLogged.get();
        int waited = longWaits.incrementAndGet();
        if ((last == 0 || now - last > WAIT_LOG_EVERY_NANOS) && lastWaitLogged.compareAndSet(last, now)) {
            longWaits.addAndGet(-waited);
            log.accept("[" + spec.name() + "] " + waited + " invocation(s) waited over " + LOGGED_WAIT_MS + " ms (the last "
                    + waitedMs + " ms) for one of the " + max + " local sandboxes: this machine's capacity, not the"
                    + " template's (Lambda would have run them at once)");
        }
    }

    /**
     * A warm sandbox, or null once this invocation may start a new one. An invocation that finds every
     * sandbox busy first waits about one warm invocation for one to come back: on a busy machine a cold
     * start costs INIT plus a slow first invocation, many times a warm one (measured in chaos h: 6.7 s
     * and 8.1 s against 1-2 s), longer than an attempt may take. It also waits (boundedly) for a sandbox
     * already in INIT in the background, which is ready sooner than a new one would be. Then it waits for
     * a cold-start slot, and still takes a sandbox another invocation gives back in the meantime instead.
     */
    private Sandbox sandbox() throws InterruptedException {
        long now = System.nanoTime();
        long patienceEnds = now + (all.size() > idle.size() ? warmWaitNanos() : 0);
        long startWaitEnds = now + MAX_START_WAIT_NANOS;
        while (true) {
            Sandbox warm = warm(idle.pollFirst());
            if (warm != null) {
                return warm;
            }
            now = System.nanoTime(); // differences only: nanoTime may be negative
            boolean patient = now - patienceEnds < 0 || (starting.get() > 0 && now - startWaitEnds < 0);
            if (!patient && coldStarts.tryAcquire()) {
                return null;
            }
            warm = warm(idle.pollFirst(COLD_START_POLL_MS, TimeUnit.MILLISECONDS));
            if (warm != null) {
                return warm;
            }
        }
    }

    /**
     * Starts one sandbox ahead of the first invocation, through the same cold-start slots, and keeps
     * it idle: the first invocation finds it warm, as with provisioned concurrency or a SnapStart
     * restore on AWS. Skipped when the function already has a sandbox or the slot wait is interrupted.
     */
    void prewarm() {
        try {
            coldStarts.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (closed || !all.isEmpty()) {
            coldStarts.release();
            return;
        }
        startIdle("prewarmed");
    }

    /**
     * After a fault killed a sandbox, starts a replacement at once if no other sandbox is idle and a
     * cold-start slot is free: on Lambda other warm environments remain, so an injected crash should not
     * make the next invocation (often the retry) pay a cold start. Bounded by the pool's size.
     */
    private void replace() {
        if (!closed && idle.isEmpty() && all.size() < max && coldStarts.tryAcquire()) {
            startIdle("replaced a killed sandbox with one ready");
        }
    }

    /** Launches a sandbox on the cold-start slot its caller took, and keeps it idle once its INIT is over. */
    private void startIdle(String what) {
        Sandbox sandbox;
        try {
            sandbox = launch();
        } catch (RuntimeException e) {
            log.accept("[" + spec.name() + "] " + what + ": failed: " + e.getMessage());
            return;
        }
        starting.incrementAndGet();
        sandbox.initialized().whenComplete((done, failed) -> {
            if (sandbox.alive() && !closed) {
                idle.addLast(sandbox);
                log.accept("[" + spec.name() + "] " + what + " in " + Math.round(sandbox.initMillis()) + " ms");
            } else {
                all.remove(sandbox);
            }
            starting.decrementAndGet();
        });
    }

    /**
     * A new sandbox, holding the cold-start slot its caller took until its INIT is over (or, if it
     * cannot be started, not at all).
     */
    private Sandbox launch() {
        Sandbox sandbox;
        try {
            sandbox = launcher.launch(spec);
        } catch (IOException | RuntimeException e) {
            coldStarts.release();
            throw e instanceof IOException io ? new UncheckedIOException("cannot start a sandbox for " + spec.name(), io)
                    : (RuntimeException) e;
        }
        sandbox.initialized().whenComplete((done, failed) -> coldStarts.release());
        all.add(sandbox);
        return sandbox;
    }

    private Sandbox warm(Sandbox candidate) {
        if (candidate != null && !candidate.alive()) {
            all.remove(candidate);
            return null;
        }
        return candidate;
    }

    /** The recent warm invocations' mean duration, capped: how long a busy function's next invocation waits for one. */
    private long warmWaitNanos() {
        return (long) (Math.min(warmMs, MAX_WARM_WAIT_MS) * 1_000_000);
    }

    private InvokeResult invokeOn(Sandbox warm, Invocation invocation) {
        boolean cold = warm == null;
        Sandbox sandbox = cold ? launch() : warm;
        invocation.sandboxId = sandbox.id;
        remember(invocation);
        try {
            sandbox.dispatch(invocation, cold);
            InvokeResult outcome = invocation.result.join();
            if (!cold) {
                double ms = invocation.durationMs();
                warmMs = warmMs == 0 ? ms : 0.8 * warmMs + 0.2 * ms; // racy updates only blur the average
            }
            String report = report(invocation, sandbox, cold);
            log.accept("[" + spec.name() + "] " + report);
            return new InvokeResult(outcome.statusCode(), outcome.functionError(), outcome.payload(), logResult(invocation, report));
        } finally {
            // warm reuse: most recently used first, as Lambda prefers the warmest environment
            if (sandbox.alive() && !closed) {
                idle.addFirst(sandbox);
            } else {
                all.remove(sandbox);
                sandbox.kill();
                if (sandbox.faultKilled()) {
                    replace();
                }
            }
        }
    }

    private synchronized void remember(Invocation invocation) {
        if (recent.size() == RECENT) {
            recent.removeFirst();
        }
        recent.addLast(invocation);
    }

    /** The last invocations (at most 20), oldest first. */
    synchronized List<RecentInvocation> recent(int last) {
        return recent.stream().skip(Math.max(0, recent.size() - last)).map(Invocation::summary).toList();
    }

    private String report(Invocation invocation, Sandbox sandbox, boolean cold) {
        double duration = invocation.durationMs();
        String report = String.format(Locale.ROOT, "REPORT RequestId: %s Function: %s Duration: %.2f ms Billed Duration: %d ms Memory Size: %d MB",
                invocation.requestId, spec.name(), duration, (long) Math.ceil(duration), spec.memoryMb());
        return cold ? report + String.format(Locale.ROOT, " Init Duration: %.2f ms", sandbox.initMillis()) : report;
    }

    private static String logResult(Invocation invocation, String report) {
        String log = "START RequestId: " + invocation.requestId + " Version: $LATEST\n" + invocation.logTail()
                + "END RequestId: " + invocation.requestId + "\n" + report + "\n";
        byte[] bytes = log.getBytes(StandardCharsets.UTF_8);
        int from = Math.max(0, bytes.length - LOG_RESULT_BYTES);
        return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
    }

    int sandboxes() {
        return all.size();
    }

    /** Kills every sandbox and lets waiting invocations through to fail fast. */
    void close() {
        closed = true;
        permits.release(1_000_000); // far more than can ever wait
        all.forEach(Sandbox::kill);
        all.forEach(sandbox -> sandbox.awaitExit(5_000));
    }
}
