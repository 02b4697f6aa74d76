package dev.runlane.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runlane.agent.Agent;
import dev.runlane.agent.AgentContext;
import dev.runlane.agent.Agents;
import dev.runlane.agent.FatalAgentException;
import dev.runlane.domain.Daemons;
import dev.runlane.domain.Fence;
import dev.runlane.domain.Frame;
import dev.runlane.domain.RefusedException;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunPayloads;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.StaleAttemptException;
import dev.runlane.runs.Json;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Dispatch of one attempt. Its first act takes the attempt's fence token, which the fence refuses to a
 * late zombie of an earlier attempt or to a run that has ended; from then on every write it makes is
 * fenced, so an attempt that outlives its timeout cannot write once a newer one began.
 */
public class Dispatcher {
    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());

    private final Fence fence;
    private final RunStore runs;
    private final Daemons daemons;
    private final Agents agents;
    private final int heartbeatSeconds;
    private final Clock clock;

    /**
     * @param heartbeatSeconds the desktop task's heartbeat window (the stack's HeartbeatSeconds): start frames
     *     carry it, so that a daemon that cannot heartbeat stops its command before the run is timed out
     */
    public Dispatcher(Fence fence, RunStore runs, Daemons daemons, Agents agents, int heartbeatSeconds, Clock clock) {
        this.fence = fence;
        this.runs = runs;
        this.daemons = daemons;
        this.agents = agents;
        this.heartbeatSeconds = heartbeatSeconds;
        this.clock = clock;
    }

    /** What an attempt returns to the workflow: ids only, its output is stored apart. */
    public record HostedResult(int attempt, long fenceToken) {
    }

    /** Runs attempt {@code attempt} of a hosted run with the agent its input names. */
    public HostedResult runHosted(String runId, String threadId, int attempt, Supplier<Duration> remainingTime)
            throws InterruptedException {
        long token = acquire(threadId, runId, attempt);
        JsonNode input = Json.read(runs.payloads(runId).input());
        Agent agent;
        try {
            agent = agents.forInput(input);
        } catch (RefusedException unknown) {
            // Refused at start; still possible for an input stored before the function lost that agent.
            throw new FatalAgentException(unknown.getMessage());
        }
        LOG.info(() -> "run " + runId + " attempt " + attempt + " (fence token " + token + ") runs agent " + agent.name());
        JsonNode output;
        try {
            output = agent.run(new Attempt(runId, threadId, attempt, token, input, remainingTime));
        } catch (StaleAttemptException fencedOut) {
            throw fencedOut;
        } catch (RuntimeException failed) {
            recordError(runId, threadId, attempt, token, failed);
            throw failed;
        }
        String text = String.valueOf(output);
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > RunPayloads.MAX_OUTPUT_BYTES) {
            throw new OutputTooLargeException(bytes);
        }
        fenced(runId, token, () -> fence.recordOutput(threadId, runId, token, text));
        return new HostedResult(attempt, token);
    }

    /**
     * Records the attempt's error as its last event, {@code {"code","message"}}, so that a retried attempt's
     * failure shows in the run's events (a crash or a timeout leaves none: the execution history has those).
     * Best effort: the agent's error is what the attempt ends with, whether or not this write is accepted.
     */
    private void recordError(String runId, String threadId, int attempt, long token, RuntimeException failed) {
        String code = failed.getClass().getName().startsWith("dev.runlane.") ? failed.getClass().getSimpleName()
                : failed.getClass().getName();
        JsonNode data = Json.MAPPER.createObjectNode().put("code", code).put("message", failed.getMessage());
        try {
            fenced(runId, token, () -> fence.append(threadId,
                    new RunEvent(runId, attempt, token, clock.instant(), "error", data.toString())));
        } catch (RuntimeException notRecorded) {
            LOG.warning(() -> "run " + runId + " attempt " + attempt + ": its error was not recorded as an event: " + notRecorded);
            failed.addSuppressed(notRecorded);
        }
    }

    /** Leaves a start frame for the run's daemon. Always attempt 1: desktop dispatch is never replayed. */
    public long dispatchDesktop(String runId, String threadId, String daemonId, String taskToken) {
        long token = acquire(threadId, runId, 1);
        if (!daemons.isRegistered(daemonId)) {
            throw new UnknownDaemonException(daemonId);
        }
        Frame start = Frame.start(daemonId, runId, threadId, token, runs.payloads(runId).input(), heartbeatSeconds, clock.instant());
        fenced(runId, token, () -> fence.sendStart(threadId, start, taskToken));
        LOG.info(() -> "run " + runId + " (fence token " + token + ") sent to daemon " + daemonId);
        return token;
    }

    /** Takes the attempt's token; a refused attempt (a late zombie, a run that ended) stops here, having written nothing. */
    private long acquire(String threadId, String runId, int attempt) {
        try {
            return fence.acquire(threadId, runId, attempt, clock.instant());
        } catch (StaleAttemptException refused) {
            metric("RefusedAttempts", runId, null);
            LOG.warning(() -> refused.getMessage());
            throw refused;
        }
    }

    private void fenced(String runId, long token, Runnable write) {
        try {
            write.run();
        } catch (StaleAttemptException stale) {
            // A refused write is counted and logged, then stops the attempt; the count is diagnostics
            // only and must not replace the stale verdict (which is never retried).
            try {
                runs.countStaleWrite(runId);
            } catch (RuntimeException notCounted) {
                LOG.warning(() -> "stale write of run " + runId + " not counted: " + notCounted);
            }
            metric("StaleWrites", runId, token);
            LOG.warning(() -> "stale write refused: run " + runId + ", fence token " + token);
            throw stale;
        }
    }

    private void metric(String name, String runId, Long token) {
        Metrics.count(name, clock.millis(), token == null ? Map.of("runId", runId) : Map.of("runId", runId, "fenceToken", token));
    }

    private final class Attempt implements AgentContext {
        private final String runId;
        private final String threadId;
        private final int attempt;
        private final long token;
        private final JsonNode input;
        private final Supplier<Duration> remainingTime;

        Attempt(String runId, String threadId, int attempt, long token, JsonNode input, Supplier<Duration> remainingTime) {
            this.runId = runId;
            this.threadId = threadId;
            this.attempt = attempt;
            this.token = token;
            this.input = input;
            this.remainingTime = remainingTime;
        }

        @Override public String runId() { return runId; }
        @Override public String threadId() { return threadId; }
        @Override public int attempt() { return attempt; }
        @Override public long fenceToken() { return token; }
        @Override public JsonNode input() { return input; }
        @Override public Duration remainingTime() { return remainingTime.get(); }

        @Override
        public void progress(JsonNode data) {
            fenced(runId, token, () -> fence.append(threadId,
                    new RunEvent(runId, attempt, token, clock.instant(), "progress", data.toString())));
        }
    }
}
