package dev.runlane.agent;

import java.util.Map;
import java.util.Optional;

/** The built-in agents, by the name a run's {@code input.agent} gives. */
public final class Agents {
    public static final String DEFAULT = "echo";
    private static final Map<String, Agent> BUILT_IN = Map.of(
            "echo", new EchoAgent(),
            "simulated", new SimulatedAgent());

    private Agents() {
    }

    public static Optional<Agent> named(String name) {
        return Optional.ofNullable(BUILT_IN.get(name));
    }
}
