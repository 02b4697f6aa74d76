package dev.runlane.agent;

import com.fasterxml.jackson.databind.JsonNode;

/** An agent that a hosted run executes, chosen by the run's {@code input.agent}. */
public interface Agent {

    /** Runs one attempt and returns its output. Throw {@link RetryableAgentException} to be retried. */
    JsonNode run(AgentContext context) throws InterruptedException;
}
