package dev.runlane.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runlane.agent.Agent;
import dev.runlane.agent.AgentContext;
import dev.runlane.agent.Agents;
import dev.runlane.agent.FatalAgentException;
import dev.runlane.domain.Daemons;
import dev.runlane.domain.Fence;
import dev.runlane.domain.Frame;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.RunStore;
import dev.runlane.domain.StaleAttemptException;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Dispatch of one attempt. Its first act takes a new fence token; from then on every write it makes
 * is fenced, so an attempt that outlives its timeout (a zombie) cannot write once a newer one began.
 */
public class Dispatcher {
    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());

    private final Fence fence;
    private final RunStore runs;
    private final Daemons daemons;
    private final Clock clock;

    public Dispatcher(Fence fence, RunStore runs, Daemons daemons, Clock clock) {
        this.fence = fence;
        this.runs = runs;
        this.daemons = daemons;
        this.clock = clock;
    }

    public record HostedResult(JsonNode output, int attempt, long fenceToken) {
    }

    /** Runs one attempt of a hosted run with the agent its input names. */
    public HostedResult runHosted(String runId, String threadId, JsonNode input, Supplier<Duration> remainingTime)
            throws InterruptedException {
        long token = fence.acquire(threadId, runId);
        int attempt = begin(threadId, runId, token);
        String agentName = input.path("agent").asText(Agents.DEFAULT);
        Agent agent = Agents.named(agentName)
                .orElseThrow(() -> new FatalAgentException("unknown agent '" + agentName + "'"));
        LOG.info(() -> "run " + runId + " attempt " + attempt + " (fence token " + token + ") runs agent " + agentName);
        JsonNode output = agent.run(new Attempt(runId, threadId, attempt, token, input, remainingTime));
        return new HostedResult(output, attempt, token);
    }

    /** Leaves a start frame for the run's daemon. Called once per run: desktop dispatch is never retried. */
    public long dispatchDesktop(String runId, String threadId, String daemonId, JsonNode input, String taskToken) {
        long token = fence.acquire(threadId, runId);
        int attempt = begin(threadId, runId, token);
        if (!daemons.isRegistered(daemonId)) {
            throw new UnknownDaemonException(daemonId);
        }
        Frame start = Frame.start(daemonId, runId, threadId, token, input.toString(), clock.instant());
        fenced(runId, token, () -> fence.sendStart(threadId, start, taskToken));
        LOG.info(() -> "run " + runId + " attempt " + attempt + " (fence token " + token + ") sent to daemon " + daemonId);
        return token;
    }

    private int begin(String threadId, String runId, long token) {
        return fenced(runId, token, () -> fence.beginAttempt(threadId, runId, token, clock.instant()));
    }

    private void fenced(String runId, long token, Runnable write) {
        fenced(runId, token, () -> {
            write.run();
            return null;
        });
    }

    /** A refused write is counted and logged, then stops the attempt. */
    private <T> T fenced(String runId, long token, Supplier<T> write) {
        try {
            return write.get();
        } catch (StaleAttemptException stale) {
            runs.countStaleWrite(runId);
            // Embedded metric format: CloudWatch turns this log line into the StaleWrites metric.
            System.out.println("{\"_aws\":{\"Timestamp\":" + clock.millis() + ",\"CloudWatchMetrics\":[{\"Namespace\":"
                    + "\"runlane\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"StaleWrites\",\"Unit\":\"Count\"}]}]},"
                    + "\"StaleWrites\":1,\"runId\":\"" + runId + "\",\"fenceToken\":" + token + "}");
            LOG.warning(() -> "stale write refused: run " + runId + ", fence token " + token);
            throw stale;
        }
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
