package dev.runlane.agent;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;

/** What an attempt gives its agent. Every write goes through the fence. */
public interface AgentContext {

    String runId();

    String threadId();

    /** 1 for the first attempt of the run, 2 for its first retry, … */
    int attempt();

    long fenceToken();

    JsonNode input();

    /** How long until the platform stops this attempt's process. */
    Duration remainingTime();

    /** Records a progress event; throws {@link dev.runlane.domain.StaleAttemptException} once this attempt is stale. */
    void progress(JsonNode data);
}
