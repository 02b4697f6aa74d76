package dev.runlane.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A chaos scenario (issue 7): the shared stack misbehaving the way AWS can, through the local
 * cloud's fault injection. Every fault a scenario arms is cleared when it ends.
 */
abstract class ChaosScenario extends DesktopScenario {
    static final String HOSTED = "HostedDispatchFunction";
    static final String DESKTOP = "DesktopDispatchFunction";
    static final String FINALIZE = "FinalizeFunction";

    Faults faults;

    @BeforeEach
    void armFaults() {
        faults = new Faults(stack.awsEndpoint());
        faults.clear();
    }

    @AfterEach
    void clearFaults() {
        if (faults != null) {
            faults.clear();
        }
    }
}
