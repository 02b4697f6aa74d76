package dev.runlane.daemon;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The daemon's command line, read by picocli. An option's value is its flag's, or else that of the
 * environment variable its {@code defaultValue} names ({@code ${env:NAME}}, or {@code ${env:NAME:-fallback}}
 * with a default for when the variable is unset or blank). {@link EnvDefaults} reads those variables
 * from the environment given to {@link #parse}, never from the JVM's own, so that tests bring theirs.
 * Values stay text here: {@link DaemonConfig} checks them and says what is wrong.
 */
@Command(name = "runlane daemon", usageHelpWidth = 110, sortOptions = false, versionProvider = DaemonOptions.Version.class,
        customSynopsis = "runlane daemon --api-url URL --daemon-id ID --credential-file FILE --root DIR --command 'CMD' [options]",
        description = {
                "",
                "Runs CMD (with sh -c) for every run the runlane API starts on this daemon, in the thread's working"
                        + " directory DIR/<threadId>, the run's input JSON on stdin and RUNLANE_RUN_ID, RUNLANE_THREAD_ID,"
                        + " RUNLANE_FENCE_TOKEN in the environment. Each stdout line is reported as progress; exit code 0"
                        + " succeeds with the last stdout line as output (JSON if it parses), any other exit code fails the run.",
                "",
                "Start frames are fenced per working directory and backend epoch (kept in DIR/.runlane/fence/): a frame"
                        + " whose token is older than one already seen from the same backend never runs, and its run is failed"
                        + " at once (StaleFenceToken; FenceTokenConflict for a token already given to another run). A reset or"
                        + " redeployed backend has a new epoch, so its tokens start again from 1."},
        optionListHeading = "%nOptions (each also from the environment variable shown; a flag wins over the environment):%n",
        footer = {"", "Exit codes: 0 stopped, 2 bad configuration (or another daemon runs on the root),"
                + " 3 credential rejected by the API (401/403)."})
final class DaemonOptions {

    @Option(names = "--api-url", paramLabel = "URL", defaultValue = "${env:RUNLANE_API_URL}",
            description = {"the runlane API, e.g. http://127.0.0.1:3000", "env RUNLANE_API_URL"})
    String apiUrl;

    @Option(names = "--daemon-id", paramLabel = "ID", defaultValue = "${env:RUNLANE_DAEMON_ID}",
            description = {"this daemon's id, as registered", "env RUNLANE_DAEMON_ID"})
    String daemonId;

    @Option(names = "--credential-file", paramLabel = "FILE", defaultValue = "${env:RUNLANE_DAEMON_CREDENTIAL_FILE}",
            description = {"file holding the daemon's credential", "env RUNLANE_DAEMON_CREDENTIAL_FILE",
                    "or env " + DaemonConfig.CREDENTIAL_ENV + ": the credential itself,", "which no flag takes (it would show in ps)"})
    String credentialFile;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "${env:RUNLANE_DAEMON_ROOT}",
            description = {"parent of the threads' working directories", "env RUNLANE_DAEMON_ROOT"})
    String root;

    @Option(names = "--command", paramLabel = "CMD", defaultValue = "${env:RUNLANE_DAEMON_COMMAND}",
            description = {"shell command to run for each run", "env RUNLANE_DAEMON_COMMAND"})
    String command;

    @Option(names = "--heartbeat-seconds", paramLabel = "N", defaultValue = "${env:RUNLANE_DAEMON_HEARTBEAT_SECONDS:-10}",
            description = {"heartbeat interval while a command runs, 1..3600", "env RUNLANE_DAEMON_HEARTBEAT_SECONDS, default 10"})
    String heartbeatSeconds;

    @Option(names = "--poll-wait-seconds", paramLabel = "N", defaultValue = "${env:RUNLANE_DAEMON_POLL_WAIT_SECONDS:-20}",
            description = {"long-poll wait for frames, 1..20", "env RUNLANE_DAEMON_POLL_WAIT_SECONDS, default 20"})
    String pollWaitSeconds;

    @Option(names = "--idle-poll-seconds", paramLabel = "N", defaultValue = "${env:RUNLANE_DAEMON_IDLE_POLL_SECONDS:-5}",
            description = {"while idle (no command running, no frame for 5 minutes; from 1 to 5 minutes every second),",
                    "poll without waiting every N seconds instead of long-polling: a held long poll bills its function",
                    "for the whole wait. 0..60, 0 = always long-poll; keep it well below the stack's HeartbeatSeconds",
                    "env RUNLANE_DAEMON_IDLE_POLL_SECONDS, default 5"})
    String idlePollSeconds;

    @Option(names = "--kill-grace-seconds", paramLabel = "N", defaultValue = "${env:RUNLANE_DAEMON_KILL_GRACE_SECONDS:-5}",
            description = {"SIGTERM to SIGKILL grace when killing a run, 0..300", "env RUNLANE_DAEMON_KILL_GRACE_SECONDS, default 5"})
    String killGraceSeconds;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this text")
    boolean help;

    @Option(names = "--version", versionHelp = true, description = "the daemon's version")
    boolean version;

    @CommandLine.Spec
    private CommandSpec spec;

    private DaemonOptions() {
    }

    /** The options as given; throws for bad arguments, and for {@code --help} or {@code --version} with the text to print. */
    static DaemonOptions parse(String[] args, Map<String, String> env)
            throws DaemonConfig.ConfigException, DaemonConfig.HelpRequested {
        DaemonOptions options = new DaemonOptions();
        CommandLine cli = commandLine(options, env);
        try {
            cli.parseArgs(args);
        } catch (ParameterException e) {
            // "--bogus --help" asks for help, not for an error about --bogus.
            if (Arrays.stream(args).anyMatch(arg -> arg.equals("--help") || arg.equals("-h"))) {
                throw new DaemonConfig.HelpRequested(usage(cli));
            }
            throw new DaemonConfig.ConfigException(reason(e));
        }
        if (cli.isUsageHelpRequested()) {
            throw new DaemonConfig.HelpRequested(usage(cli));
        }
        if (cli.isVersionHelpRequested()) {
            throw new DaemonConfig.HelpRequested(String.join(System.lineSeparator(), cli.getCommandSpec().version())
                    + System.lineSeparator());
        }
        return options;
    }

    /** The usage text, as {@code --help} prints it. */
    static String usage() {
        return usage(commandLine(new DaemonOptions(), Map.of()));
    }

    /** The environment variable that stands for the option (named by its {@code defaultValue}). */
    String envOf(String flag) {
        Matcher m = EnvDefaults.ENV.matcher(Objects.requireNonNullElse(spec.findOption(flag).defaultValue(), ""));
        if (!m.matches()) {
            throw new IllegalArgumentException(flag + " has no environment variable");
        }
        return m.group(1);
    }

    private static CommandLine commandLine(DaemonOptions options, Map<String, String> env) {
        CommandLine cli = new CommandLine(options);
        // Values are taken as given: no ${...} expansion (EnvDefaults reads the variables) and no @file arguments.
        cli.setInterpolateVariables(false);
        cli.setExpandAtFiles(false);
        cli.setDefaultValueProvider(new EnvDefaults(env));
        cli.setUsageHelpLongOptionsMaxWidth(26);
        return cli;
    }

    private static String usage(CommandLine cli) {
        return cli.getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    /** picocli's parse error as one line that says what to fix. */
    private static String reason(ParameterException e) {
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            // Only the name of "--name=value": the value of a mistyped option may be a secret.
            String name = arg.startsWith("--") && arg.indexOf('=') > 0 ? arg.substring(0, arg.indexOf('=')) : arg;
            if (name.equals("--credential")) {
                return "--credential is not accepted (it would show in the process list): "
                        + "use --credential-file FILE or the environment variable " + DaemonConfig.CREDENTIAL_ENV;
            }
            return "unknown argument '" + Log.oneLine(name) + "'";
        }
        if (e instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()
                && m.getMissing().get(0) instanceof OptionSpec option) {
            return option.longestName() + " needs a value";
        }
        if (e instanceof CommandLine.OverwrittenOptionException o && o.getOverwritten() instanceof OptionSpec option) {
            return option.longestName() + " is given twice";
        }
        return Log.oneLine(e.getMessage());
    }

    /** Each option's {@code ${env:NAME}} or {@code ${env:NAME:-fallback}} default, from the given environment. */
    private record EnvDefaults(Map<String, String> env) implements CommandLine.IDefaultValueProvider {

        static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Z0-9_]+)(?::-([^}]*))?}");

        @Override
        public String defaultValue(ArgSpec arg) {
            Matcher m = ENV.matcher(Objects.requireNonNullElse(arg.defaultValue(), ""));
            if (!m.matches()) {
                return null;
            }
            String value = env.get(m.group(1));
            // A blank variable counts as unset. Never null here: picocli would take the declared default as the value.
            return value != null && !value.isBlank() ? value : Objects.requireNonNullElse(m.group(2), "");
        }
    }

    /** "runlane daemon <version>", the version the build wrote into version.properties. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = DaemonOptions.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"runlane daemon " + properties.getProperty("version", "(version unknown)")};
        }
    }
}
