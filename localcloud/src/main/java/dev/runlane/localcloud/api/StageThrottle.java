package dev.runlane.localcloud.api;

import dev.runlane.localcloud.template.Stack;

/**
 * API Gateway's throttling of one route (the stage's DefaultRouteSettings apply to each route): a token bucket
 * holding at most {@code burst} requests, refilled at {@code ratePerSecond}; a request that finds it empty is
 * answered 429 before any function runs.
 */
final class StageThrottle {
    private final double ratePerNano;
    private final double burst;
    private double tokens;
    private long refilledAt;

    StageThrottle(Stack.ApiThrottle settings, long now) {
        this.ratePerNano = settings.ratePerSecond() / 1e9;
        this.burst = settings.burst();
        this.tokens = burst;
        this.refilledAt = now;
    }

    /** Takes a token at {@code now} (nanoTime), or false when the bucket is empty. */
    synchronized boolean admit(long now) {
        tokens = Math.min(burst, tokens + Math.max(0, now - refilledAt) * ratePerNano); // read outside the lock: may be behind
        refilledAt = Math.max(now, refilledAt);
        if (tokens < 1) {
            return false;
        }
        tokens--;
        return true;
    }
}
