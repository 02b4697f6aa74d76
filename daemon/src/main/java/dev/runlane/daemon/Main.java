package dev.runlane.daemon;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;

/** {@code java -jar runlane-daemon.jar --help} (or {@code --version}). */
public final class Main {

    public static final int EXIT_CONFIG = 2;
    public static final int EXIT_CREDENTIAL = 3;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, Log.toStderr()));
    }

    static int run(String[] args, Map<String, String> env, PrintStream out, Log log) {
        DaemonConfig config;
        try {
            config = DaemonConfig.parse(args, env);
        } catch (DaemonConfig.HelpRequested e) {
            out.print(e.text());
            return 0;
        } catch (DaemonConfig.ConfigException e) {
            System.err.println("runlane daemon: " + e.getMessage());
            System.err.println();
            System.err.print(DaemonConfig.usage());
            return EXIT_CONFIG;
        }
        Daemon daemon = new Daemon(config, new ApiClient(config.apiUrl(), config.daemonId(), config.credential()),
                log, Duration.ofSeconds(1), Duration.ofSeconds(30));
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "daemon-stop"));
        try {
            daemon.run();
            return 0;
        } catch (RootLock.RootInUse e) {
            log.error(e.getMessage() + ": one daemon per root");
            daemon.close();
            return EXIT_CONFIG;
        } catch (ApiClient.CredentialRejected e) {
            log.error("the API rejected this daemon's credential (" + Log.oneLine(e.getMessage())
                    + "): check --daemon-id and the credential; stopping");
            daemon.close();
            return EXIT_CREDENTIAL;
        }
    }
}
