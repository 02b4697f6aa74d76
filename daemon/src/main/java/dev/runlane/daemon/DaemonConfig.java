package dev.runlane.daemon;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The daemon's configuration, from flags or the environment (flags win). The credential is read from
 * a file ({@code --credential-file}) or {@code RUNLANE_DAEMON_CREDENTIAL}; there is deliberately no
 * flag that takes the credential itself (it would show in {@code ps}). {@link #toString()} never
 * contains the credential.
 */
public record DaemonConfig(URI apiUrl, String daemonId, String credential, Path root, String command,
                           int heartbeatSeconds, int pollWaitSeconds, int killGraceSeconds) {

    public static final int MAX_POLL_WAIT_SECONDS = 20;

    public static final String USAGE = """
            Usage: runlane daemon --api-url URL --daemon-id ID --credential-file FILE --root DIR --command 'CMD' [options]

            Runs CMD (with sh -c) for every run the runlane API starts on this daemon, in the thread's
            working directory DIR/<threadId>, the run's input JSON on stdin and RUNLANE_RUN_ID,
            RUNLANE_THREAD_ID, RUNLANE_FENCE_TOKEN in the environment. Each stdout line is reported as
            progress; exit code 0 succeeds with the last stdout line as output (JSON if it parses),
            any other exit code fails the run.

            Start frames are fenced per working directory and backend epoch (kept in DIR/.runlane/fence/): a
            frame whose token is older than one already seen from the same backend never runs, and its run is
            failed at once (StaleFenceToken; FenceTokenConflict for a token already given to another run).
            A reset or redeployed backend has a new epoch, so its tokens start again from 1.

            Options (each also from the environment variable shown; a flag wins over the environment):
              --api-url URL               RUNLANE_API_URL                 the runlane API, e.g. http://127.0.0.1:3000
              --daemon-id ID              RUNLANE_DAEMON_ID               this daemon's id, as registered
              --credential-file FILE      RUNLANE_DAEMON_CREDENTIAL_FILE  file holding the daemon's credential
                                          RUNLANE_DAEMON_CREDENTIAL       the credential itself (env only)
              --root DIR                  RUNLANE_DAEMON_ROOT             parent of the threads' working directories
              --command CMD               RUNLANE_DAEMON_COMMAND          shell command to run for each run
              --heartbeat-seconds N       RUNLANE_DAEMON_HEARTBEAT_SECONDS   heartbeat interval while a command runs (default 10)
              --poll-wait-seconds N       RUNLANE_DAEMON_POLL_WAIT_SECONDS   long-poll wait for frames, 1..20 (default 20)
              --kill-grace-seconds N      RUNLANE_DAEMON_KILL_GRACE_SECONDS  SIGTERM to SIGKILL grace when killing a run (default 5)
              --help                      this text

            Exit codes: 0 stopped, 2 bad configuration (or another daemon runs on the root), 3 credential rejected by the API (401/403).
            """;

    /** A flag, the environment variable that stands for it, and whether it takes a value. */
    private enum Option {
        API_URL("--api-url", "RUNLANE_API_URL"),
        DAEMON_ID("--daemon-id", "RUNLANE_DAEMON_ID"),
        CREDENTIAL_FILE("--credential-file", "RUNLANE_DAEMON_CREDENTIAL_FILE"),
        ROOT("--root", "RUNLANE_DAEMON_ROOT"),
        COMMAND("--command", "RUNLANE_DAEMON_COMMAND"),
        HEARTBEAT_SECONDS("--heartbeat-seconds", "RUNLANE_DAEMON_HEARTBEAT_SECONDS"),
        POLL_WAIT_SECONDS("--poll-wait-seconds", "RUNLANE_DAEMON_POLL_WAIT_SECONDS"),
        KILL_GRACE_SECONDS("--kill-grace-seconds", "RUNLANE_DAEMON_KILL_GRACE_SECONDS");

        final String flag;
        final String env;

        Option(String flag, String env) {
            this.flag = flag;
            this.env = env;
        }

        static Option ofFlag(String flag) {
            for (Option o : values()) {
                if (o.flag.equals(flag)) {
                    return o;
                }
            }
            return null;
        }
    }

    public static final String CREDENTIAL_ENV = "RUNLANE_DAEMON_CREDENTIAL";

    /** Bad or missing configuration: {@link #getMessage()} is one line that says what to fix. */
    public static final class ConfigException extends Exception {
        public ConfigException(String message) {
            super(message);
        }
    }

    /** {@code --help} was given. */
    public static final class HelpRequested extends Exception {
        public HelpRequested() {
            super("help");
        }
    }

    public static DaemonConfig parse(String[] args, Map<String, String> env) throws ConfigException, HelpRequested {
        try {
            return parseFlags(args, env);
        } catch (ConfigException e) {
            // "--bogus --help" asks for help, not for an error about --bogus.
            for (String arg : args) {
                if (arg.equals("--help") || arg.equals("-h")) {
                    throw new HelpRequested();
                }
            }
            throw e;
        }
    }

    private static DaemonConfig parseFlags(String[] args, Map<String, String> env) throws ConfigException, HelpRequested {
        Map<Option, String> flags = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                throw new HelpRequested();
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            Option option = Option.ofFlag(name);
            if (option == null) {
                if (name.equals("--credential")) {
                    throw new ConfigException("--credential is not accepted (it would show in the process list): "
                            + "use --credential-file FILE or the environment variable " + CREDENTIAL_ENV);
                }
                throw new ConfigException("unknown argument '" + Log.oneLine(name) + "'");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new ConfigException(option.flag + " needs a value");
                }
                value = args[++i];
            }
            if (flags.put(option, value) != null) {
                throw new ConfigException(option.flag + " is given twice");
            }
        }

        Map<Option, String> values = new HashMap<>();
        for (Option o : Option.values()) {
            String v = flags.containsKey(o) ? flags.get(o) : env.get(o.env);
            if (v != null && !v.isBlank()) {
                values.put(o, v);
            }
        }

        URI apiUrl = apiUrl(required(values, Option.API_URL));
        String daemonId = daemonId(required(values, Option.DAEMON_ID));
        String credential = credential(values.get(Option.CREDENTIAL_FILE), env.get(CREDENTIAL_ENV));
        Path root = Path.of(required(values, Option.ROOT)).toAbsolutePath().normalize();
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new ConfigException("--root " + root + " is not a directory");
        }
        String command = required(values, Option.COMMAND);
        int heartbeat = number(values, Option.HEARTBEAT_SECONDS, 10, 1, 3600);
        int pollWait = number(values, Option.POLL_WAIT_SECONDS, MAX_POLL_WAIT_SECONDS, 1, MAX_POLL_WAIT_SECONDS);
        int killGrace = number(values, Option.KILL_GRACE_SECONDS, 5, 0, 300);
        return new DaemonConfig(apiUrl, daemonId, credential, root, command, heartbeat, pollWait, killGrace);
    }

    private static String required(Map<Option, String> values, Option option) throws ConfigException {
        String v = values.get(option);
        if (v == null) {
            throw new ConfigException("missing " + option.flag + " (or environment variable " + option.env + ")");
        }
        return v;
    }

    private static URI apiUrl(String text) throws ConfigException {
        try {
            URI uri = new URI(text.strip());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null) {
                throw new ConfigException("--api-url must be an http(s) URL without query, e.g. http://127.0.0.1:3000 (got '"
                        + Log.oneLine(text) + "')");
            }
            String s = uri.toString();
            return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        } catch (URISyntaxException e) {
            throw new ConfigException("--api-url is not a URL: " + Log.oneLine(e.getMessage()));
        }
    }

    private static String daemonId(String text) throws ConfigException {
        if (!Ids.isValid(text)) {
            throw new ConfigException("--daemon-id must be " + Ids.RULE + " (got '" + Log.oneLine(text) + "')");
        }
        return text;
    }

    private static String credential(String file, String fromEnv) throws ConfigException {
        String credential;
        if (file != null) {
            try {
                credential = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                throw new ConfigException("cannot read the credential file " + Log.oneLine(file) + ": "
                        + e.getClass().getSimpleName());
            }
            if (credential.isEmpty()) {
                throw new ConfigException("the credential file " + Log.oneLine(file) + " is empty");
            }
        } else if (fromEnv != null && !fromEnv.isBlank()) {
            credential = fromEnv.strip();
        } else {
            throw new ConfigException("missing credential: --credential-file FILE (or environment variable "
                    + Option.CREDENTIAL_FILE.env + " or " + CREDENTIAL_ENV + ")");
        }
        if (!credential.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new ConfigException("the credential must be one line of printable ASCII without spaces");
        }
        return credential;
    }

    private static int number(Map<Option, String> values, Option option, int dflt, int min, int max)
            throws ConfigException {
        String v = values.get(option);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n < min || n > max) {
                throw new ConfigException(option.flag + " must be between " + min + " and " + max + " (got " + n + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException(option.flag + " must be a whole number (got '" + Log.oneLine(v) + "')");
        }
    }

    public DaemonConfig {
        Objects.requireNonNull(apiUrl);
        Objects.requireNonNull(daemonId);
        Objects.requireNonNull(credential);
        Objects.requireNonNull(root);
        Objects.requireNonNull(command);
    }

    @Override
    public String toString() {
        return "api " + apiUrl + ", daemon " + daemonId + ", root " + root + ", command '" + command
                + "', heartbeat " + heartbeatSeconds + "s, poll wait " + pollWaitSeconds + "s, kill grace "
                + killGraceSeconds + "s";
    }
}
