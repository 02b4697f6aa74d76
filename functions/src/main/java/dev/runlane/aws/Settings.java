package dev.runlane.aws;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Optional;

/** The functions' settings, from the environment template.yaml gives them (RUNLANE_RUNS_TABLE → runsTable). */
@ConfigMapping(prefix = "runlane")
public interface Settings {
    String runsTable();

    String fencesTable();

    String eventsTable();

    String framesTable();

    String daemonsTable();

    String queueUrl();

    /** Only the gate moves malformed messages aside. */
    Optional<String> deadLetterQueueUrl();

    /** Only the API and the gate talk to Step Functions. */
    Optional<String> stateMachineArn();

    @WithDefault("42900")
    int holdSeconds();

    @WithDefault("30")
    int retentionDays();
}
