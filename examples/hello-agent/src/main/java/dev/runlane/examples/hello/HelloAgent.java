package dev.runlane.examples.hello;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.runlane.agent.Agent;
import dev.runlane.agent.AgentContext;

/** Greets {@code input.name}: a progress event, then the greeting as the output. */
public class HelloAgent implements Agent {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    @Override
    public String name() {
        return "hello";
    }

    @Override
    public JsonNode run(AgentContext context) {
        String who = context.input().path("name").asText("world");
        context.progress(JSON.objectNode().put("composing", "a greeting for " + who));
        return JSON.objectNode().put("greeting", "hello, " + who).put("attempt", context.attempt());
    }
}
