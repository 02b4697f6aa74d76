package dev.runlane.agent;

import com.fasterxml.jackson.databind.JsonNode;

/** Returns its input: the smallest useful agent, for smoke tests. */
public class EchoAgent implements Agent {
    @Override
    public String name() {
        return Agents.ECHO;
    }

    @Override
    public JsonNode run(AgentContext context) {
        return context.input();
    }
}
