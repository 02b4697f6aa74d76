package dev.runlane.e2e;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * A desktop scenario (issue 4): the shared stack, and reference daemons of its own that are killed,
 * with every command they ran, when the scenario ends.
 */
abstract class DesktopScenario extends Scenario {
    private final List<DesktopDaemon> daemons = new ArrayList<>();

    /** A newly registered daemon of this scenario (not started yet). */
    DesktopDaemon daemon(String scenario) {
        DesktopDaemon daemon = DesktopDaemon.register(api, scenario);
        daemons.add(daemon);
        return daemon;
    }

    /** A second process of the daemon: its id and credential, another root (killed with the scenario's daemons). */
    DesktopDaemon secondProcess(DesktopDaemon daemon) {
        DesktopDaemon second = daemon.sameCredential("2");
        daemons.add(second);
        return second;
    }

    @AfterEach
    void killDaemons() {
        daemons.forEach(DesktopDaemon::close);
    }
}
