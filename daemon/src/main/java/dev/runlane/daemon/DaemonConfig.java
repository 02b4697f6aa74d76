package dev.runlane.daemon;

import dev.runlane.runs.RunIds;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The daemon's configuration, from flags or the environment (flags win). The credential is read from
 * a file ({@code --credential-file}) or {@code RUNLANE_DAEMON_CREDENTIAL}; there is deliberately no
 * flag that takes the credential itself (it would show in {@code ps}). {@link #toString()} never
 * contains the credential.
 */
public record DaemonConfig(URI apiUrl, String daemonId, String credential, Path root, String command,
                           int heartbeatSeconds, int pollWaitSeconds, int idlePollSeconds, int killGraceSeconds) {

    public static final int MAX_POLL_WAIT_SECONDS = 20;
    public static final int MAX_IDLE_POLL_SECONDS = 60;

    public static final String CREDENTIAL_ENV = "RUNLANE_DAEMON_CREDENTIAL";

    /** Bad or missing configuration: {@link #getMessage()} is one line that says what to fix. */
    public static final class ConfigException extends Exception {
        public ConfigException(String message) {
            super(message);
        }
    }

    /** {@code --help} or {@code --version} was given: {@link #text()} is what to print. */
    public static final class HelpRequested extends Exception {
        private final String text;

        public HelpRequested(String text) {
            super("help");
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** The usage text, as {@code --help} prints it. */
    public static String usage() {
        return DaemonOptions.usage();
    }

    /** The configuration from the arguments, or else the environment ({@link DaemonOptions} reads them). */
    public static DaemonConfig parse(String[] args, Map<String, String> env) throws ConfigException, HelpRequested {
        DaemonOptions options = DaemonOptions.parse(args, env);
        URI apiUrl = apiUrl(required(options, "--api-url", options.apiUrl));
        String daemonId = daemonId(required(options, "--daemon-id", options.daemonId));
        String credential = credential(options, blankToNull(options.credentialFile), env.get(CREDENTIAL_ENV));
        Path root = Path.of(required(options, "--root", options.root)).toAbsolutePath().normalize();
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new ConfigException("--root " + root + " is not a directory");
        }
        String command = required(options, "--command", options.command);
        int heartbeat = number("--heartbeat-seconds", options.heartbeatSeconds, 1, 3600);
        int pollWait = number("--poll-wait-seconds", options.pollWaitSeconds, 1, MAX_POLL_WAIT_SECONDS);
        int idlePoll = number("--idle-poll-seconds", options.idlePollSeconds, 0, MAX_IDLE_POLL_SECONDS);
        int killGrace = number("--kill-grace-seconds", options.killGraceSeconds, 0, 300);
        return new DaemonConfig(apiUrl, daemonId, credential, root, command, heartbeat, pollWait, idlePoll, killGrace);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /** A value that must be given (a blank one is not). */
    private static String required(DaemonOptions options, String flag, String value) throws ConfigException {
        if (blankToNull(value) == null) {
            throw new ConfigException("missing " + flag + " (or environment variable " + options.envOf(flag) + ")");
        }
        return value;
    }

    /** The API's base URL, without a trailing slash ({@link Watch} takes it the same way). */
    static URI apiUrl(String text) throws ConfigException {
        try {
            URI uri = new URI(text.strip());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null) {
                throw new ConfigException("--api-url must be an http(s) URL without query, e.g. http://127.0.0.1:3000 (got '"
                        + Log.oneLine(text) + "')");
            }
            if ("http".equals(uri.getScheme()) && !isLoopback(uri.getHost())) {
                // The daemon's bearer credential (and watch's signed requests) would cross the network in clear.
                throw new ConfigException("--api-url must be https unless the API is on this machine (localhost, 127.x.x.x, [::1]);"
                        + " got '" + Log.oneLine(text) + "'");
            }
            String s = uri.toString();
            return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        } catch (URISyntaxException e) {
            throw new ConfigException("--api-url is not a URL: " + Log.oneLine(e.getMessage()));
        }
    }

    /** A loopback host by its name alone: nothing is resolved (a DNS answer could point anywhere). */
    private static boolean isLoopback(String host) {
        return host.equalsIgnoreCase("localhost") || host.equals("[::1]")
                || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    private static String daemonId(String text) throws ConfigException {
        if (!RunIds.isValid(text)) {
            throw new ConfigException("--daemon-id must be " + RunIds.RULE + " (got '" + Log.oneLine(text) + "')");
        }
        return text;
    }

    /** Like ssh with a private key: a credential file the group or others can read or replace is refused. */
    private static void refuseIfOthersCanUse(Path file) throws ConfigException {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException | IOException e) {
            return; // not a POSIX file system: its ACLs are the user's to set
        }
        if (permissions.stream().anyMatch(p -> !p.name().startsWith("OWNER_"))) {
            throw new ConfigException("the credential file " + Log.oneLine(file.toString()) + " can be used by others (mode "
                    + PosixFilePermissions.toString(permissions) + "): make it readable by you alone, e.g. chmod 600 "
                    + Log.oneLine(file.toString()));
        }
    }

    private static String credential(DaemonOptions options, String file, String fromEnv) throws ConfigException {
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
            refuseIfOthersCanUse(Path.of(file));
        } else if (fromEnv != null && !fromEnv.isBlank()) {
            credential = fromEnv.strip();
        } else {
            throw new ConfigException("missing credential: --credential-file FILE (or environment variable "
                    + options.envOf("--credential-file") + " or " + CREDENTIAL_ENV + ")");
        }
        if (!credential.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new ConfigException("the credential must be one line of printable ASCII without spaces");
        }
        return credential;
    }

    /** A whole number in min..max; its default comes with the option (a blank flag is no number). */
    private static int number(String flag, String value, int min, int max) throws ConfigException {
        try {
            int n = Integer.parseInt(value.strip());
            if (n < min || n > max) {
                throw new ConfigException(flag + " must be between " + min + " and " + max + " (got " + n + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException(flag + " must be a whole number (got '" + Log.oneLine(value) + "')");
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
                + "', heartbeat " + heartbeatSeconds + "s, poll wait " + pollWaitSeconds + "s, idle poll "
                + (idlePollSeconds == 0 ? "off" : "every " + idlePollSeconds + "s") + ", kill grace "
                + killGraceSeconds + "s";
    }
}
