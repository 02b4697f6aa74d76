package dev.runlane.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runlane.domain.RefusedException;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The function's agents by name: the built-in ones and every {@link Agent} a module on its class path lists in
 * {@code META-INF/services/dev.runlane.agent.Agent}. A run names one in {@code input.agent}, or gets the default.
 */
public final class Agents {
    /** The default when the stack names none (DefaultAgent). */
    public static final String ECHO = "echo";

    private final Map<String, Agent> byName;
    private final String defaultName;

    private Agents(Map<String, Agent> byName, String defaultName) {
        this.byName = byName;
        this.defaultName = defaultName;
    }

    /** Every agent on the class path; refuses two of one name and a default that is none of them. */
    public static Agents load(String defaultName) {
        return of(ServiceLoader.load(Agent.class, Agents.class.getClassLoader()).stream().map(ServiceLoader.Provider::get).toList(),
                defaultName);
    }

    static Agents of(List<Agent> agents, String defaultName) {
        Map<String, Agent> byName = new TreeMap<>();
        for (Agent agent : agents) {
            Agent other = byName.putIfAbsent(agent.name(), agent);
            if (other != null) {
                throw new IllegalStateException("two agents are named '" + agent.name() + "': "
                        + other.getClass().getName() + " and " + agent.getClass().getName());
            }
        }
        if (!byName.containsKey(defaultName)) {
            throw new IllegalStateException("the default agent '" + defaultName + "' (DefaultAgent) is none of this"
                    + " function's agents: " + String.join(", ", byName.keySet()));
        }
        return new Agents(Collections.unmodifiableMap(byName), defaultName); // sorted: refusals list the names in order
    }

    /** The agent a run's input names, or the default; 400 {@code UnknownAgent} for a name no agent has. */
    public Agent forInput(JsonNode input) {
        JsonNode named = input.path("agent");
        if (named.isMissingNode() || named.isNull()) {
            return byName.get(defaultName);
        }
        Agent agent = named.isTextual() ? byName.get(named.asText()) : null;
        if (agent == null) {
            throw RefusedException.invalid("UnknownAgent", "input.agent " + named + " is none of this stack's agents: "
                    + String.join(", ", byName.keySet()) + " (none: " + defaultName + ")");
        }
        return agent;
    }
}
