package dev.runlane.agent;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An agent that a hosted run executes, chosen by the run's {@code input.agent} (the stack's DefaultAgent when it
 * names none). Bring your own: implement this interface in a module of your own, list the class in its
 * {@code META-INF/services/dev.runlane.agent.Agent}, and add the module to the functions (see the README).
 */
public interface Agent {

    /** The name a run's {@code input.agent} gives: unique among the function's agents. */
    String name();

    /** Runs one attempt and returns its output. Throw {@link RetryableAgentException} to be retried. */
    JsonNode run(AgentContext context) throws InterruptedException;
}
