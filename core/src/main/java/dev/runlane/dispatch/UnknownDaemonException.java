package dev.runlane.dispatch;

/** A desktop run names a daemon that is not registered: nothing can run it (not retried). */
public class UnknownDaemonException extends RuntimeException {
    public UnknownDaemonException(String daemonId) {
        super("daemon " + daemonId + " is not registered: register it (POST /daemons) and start the run again");
    }
}
