package dev.runlane.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;


/**
 * A stand-in for a real agent, for demos and fault tests. Input fields (all optional):
 * durationMs (1000), progressMs (250): how long it works and how often it records progress;
 * failFirstAttempts: a retryable error on the first N attempts;
 * hangFirstAttempts: on the first N attempts, ignores its deadline and keeps writing progress
 * until the fence refuses a write or its sandbox is stopped;
 * fatal: a non-retryable error;
 * outputBytes: pads the output with a string of this many characters (to try the output limit).
 */
public class SimulatedAgent implements Agent {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Override
    public String name() {
        return "simulated";
    }

    @Override
    public JsonNode run(AgentContext context) throws InterruptedException {
        JsonNode input = context.input();
        long durationMs = Math.max(0, input.path("durationMs").asLong(1000));
        long progressMs = Math.max(10, input.path("progressMs").asLong(250));
        int attempt = context.attempt();

        if (input.path("fatal").asBoolean(false)) {
            throw new FatalAgentException("simulated fatal error");
        }
        if (attempt <= input.path("failFirstAttempts").asInt(0)) {
            throw new RetryableAgentException("simulated retryable error on attempt " + attempt);
        }
        boolean hang = attempt <= input.path("hangFirstAttempts").asInt(0);
        int events = 0;
        long started = System.nanoTime();
        // A hung attempt ignores its deadline, as a hung agent would: it stops only when the fence
        // refuses its write (StaleAttemptException) or its sandbox is stopped at the function's timeout.
        while (hang || elapsedMs(started) < durationMs) {
            Thread.sleep(hang ? progressMs : Math.min(progressMs, Math.max(0, durationMs - elapsedMs(started))));
            events++;
            context.progress(NODES.objectNode().put("step", events).put("hanging", hang));
        }
        ObjectNode output = NODES.objectNode();
        output.put("agent", "simulated");
        output.put("attempt", attempt);
        output.put("fenceToken", context.fenceToken());
        output.put("progressEvents", events);
        int padding = input.path("outputBytes").asInt(0);
        if (padding > 0) {
            output.put("padding", "x".repeat(padding));
        }
        return output;
    }

    private static long elapsedMs(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
