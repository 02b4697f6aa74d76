package dev.runlane.localcloud.lambda;

import dev.runlane.localcloud.faults.Fault;

/** A sandbox's AWS call that a crash fault strikes: the edge kills the sandbox before or after forwarding the call. */
public final class Crash {
    private static final long EXIT_WAIT_MS = 5_000;

    private final Sandbox sandbox;
    private final Invocation invocation;
    private final Fault.When when;

    Crash(Sandbox sandbox, Invocation invocation, Fault.When when) {
        this.sandbox = sandbox;
        this.invocation = invocation;
        this.when = when;
    }

    public Fault.When when() {
        return when;
    }

    /**
     * SIGKILLs the sandbox's process tree, as the kill fault does, and returns once the process is gone, so that the
     * call's answer can no longer reach it; the invocation fails as a crashed runtime.
     */
    public void strike() {
        if (sandbox.faultKill(invocation)) {
            sandbox.awaitExit(EXIT_WAIT_MS);
        }
    }
}
