package dev.runlane.aws;

import java.util.Optional;

/**
 * Where the stack keeps things and its limits, as template.yaml gives them to every function
 * (RUNLANE_RUNS_TABLE → runsTable). The functions read them from their environment (FunctionSettings,
 * with the defaults in their application.properties).
 */
public interface Settings {
    String runsTable();

    String fencesTable();

    String eventsTable();

    String framesTable();

    String daemonsTable();

    String payloadsTable();

    String threadsTable();

    /** The long-poll slots (LongPollCap). */
    String pollsTable();

    String queueUrl();

    /** Only the gate moves malformed messages aside. */
    Optional<String> deadLetterQueueUrl();

    /** Only the API and the gate talk to Step Functions. */
    Optional<String> stateMachineArn();

    int holdSeconds();

    /** The desktop task's heartbeat window (HeartbeatSeconds), which start frames tell their daemon. */
    int heartbeatSeconds();

    /** The whole run's limit (RunTimeoutSeconds): bounds how long a run's payloads and hold are needed. */
    int runTimeoutSeconds();

    /** Most runs a thread may have waiting or running (ThreadQueueCap). */
    int threadQueueCap();

    int retentionDays();

    /** Most long polls (waitSeconds) one caller may hold at once (LongPollsPerCaller); 0 = no cap. */
    int longPollsPerCaller();

    /** The agent of a hosted run whose input names none (DefaultAgent). */
    String defaultAgent();
}
