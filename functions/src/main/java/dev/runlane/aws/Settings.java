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

    String payloadsTable();

    String threadsTable();

    String queueUrl();

    /** Only the gate moves malformed messages aside. */
    Optional<String> deadLetterQueueUrl();

    /** Only the API and the gate talk to Step Functions. */
    Optional<String> stateMachineArn();

    @WithDefault("300")
    int holdSeconds();

    /** The whole run's limit (RunTimeoutSeconds): bounds how long a run's payloads and hold are needed. */
    @WithDefault("172800")
    int runTimeoutSeconds();

    /** Most runs a thread may have waiting or running (ThreadQueueCap). */
    @WithDefault("1000")
    int threadQueueCap();

    @WithDefault("30")
    int retentionDays();
}
