package dev.runlane.localcloud.lambda;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** One invocation in flight: its event, its outcome, its share of the sandbox log and its timings. */
final class Invocation {
    private static final int LOG_TAIL = 4096;
    /** The AWS calls listed per invocation; later ones are only counted. */
    private static final int LISTED_CALLS = 256;

    final String requestId = UUID.randomUUID().toString();
    final byte[] payload;
    final CompletableFuture<InvokeResult> result = new CompletableFuture<>();
    private final StringBuilder log = new StringBuilder();
    volatile long startedNanos;   // when the runtime picked the event up
    volatile long endedNanos;
    /** A kill fault: the sandbox is killed this long after the runtime picked the event up; -1 = none. */
    volatile long killAfterMs = -1;
    volatile String sandboxId;
    private final List<String> awsCalls = new ArrayList<>();
    private int awsCallCount;

    Invocation(byte[] payload) {
        this.payload = payload;
    }

    /** Completes once; later outcomes (a response racing a timeout) are ignored. */
    boolean finish(int status, String functionError, byte[] body) {
        synchronized (this) {
            if (result.isDone()) {
                return false;
            }
            endedNanos = System.nanoTime();
            if (startedNanos == 0) {
                startedNanos = endedNanos;
            }
        }
        return result.complete(new InvokeResult(status, functionError, body, null));
    }

    synchronized void appendLog(String line) {
        log.append(line).append('\n');
        if (log.length() > 2 * LOG_TAIL) {
            log.delete(0, log.length() - LOG_TAIL);
        }
    }

    synchronized String logTail() {
        return log.length() <= LOG_TAIL ? log.toString() : log.substring(log.length() - LOG_TAIL);
    }

    /** Records an AWS call the handler made; returns its number in this invocation, from 1. */
    synchronized int awsCall(String action) {
        if (awsCalls.size() < LISTED_CALLS) {
            awsCalls.add(action);
        }
        return ++awsCallCount;
    }

    synchronized RecentInvocation summary() {
        InvokeResult outcome = result.getNow(null);
        String state = outcome == null ? "running" : outcome.functionError() == null ? "succeeded" : "failed";
        String errorType = outcome == null || outcome.functionError() == null ? null : errorType(outcome.payload());
        return new RecentInvocation(requestId, sandboxId, state, errorType, awsCallCount, List.copyOf(awsCalls));
    }

    private static String errorType(byte[] payload) {
        try {
            return Sandbox.JSON.readTree(payload).path("errorType").asText(null);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    double durationMs() {
        return (endedNanos - startedNanos) / 1e6;
    }
}
