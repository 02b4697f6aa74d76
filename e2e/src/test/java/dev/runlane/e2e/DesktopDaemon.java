package dev.runlane.e2e;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A reference daemon ({@code daemon/target/runlane-daemon.jar}) run as a child process, as a user runs
 * it: registered through the API, its credential in a file, its own root directory, its log (stderr)
 * in a file, all under {@code target/e2e-daemons/<daemonId>/}. It can be started more than once (a
 * restart keeps the root and the credential), killed with SIGKILL like a crashed laptop daemon, or
 * stopped. {@link #close()} kills whatever is left: every daemon started and every command it ran.
 */
public final class DesktopDaemon implements AutoCloseable {
    /** Where every daemon of the test run keeps its root, credential and logs. */
    static final Path BASE = Path.of("target", "e2e-daemons").toAbsolutePath();
    /** Heartbeat interval of the scenarios' daemons: well inside the stack's heartbeat window. */
    static final int HEARTBEAT_SECONDS = 1;
    private static final Duration STARTUP_BOUND = Duration.ofSeconds(30);

    private final Api api;
    private final String daemonId;
    private final Path dir;
    private final String credential;
    private final List<Process> started = new ArrayList<>();
    private final List<ProcessHandle> orphans = new ArrayList<>();

    private DesktopDaemon(Api api, String daemonId, String credential) {
        this(api, daemonId, credential, BASE.resolve(daemonId));
    }

    private DesktopDaemon(Api api, String daemonId, String credential, Path dir) {
        this.api = api;
        this.daemonId = daemonId;
        this.dir = dir;
        this.credential = credential;
        try {
            Files.createDirectories(root());
            writeCredential(credentialFile(), credential);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Registers a new daemon ({@code POST /daemons}) and keeps its credential in a file; nothing runs yet. */
    static DesktopDaemon register(Api api, String scenario) {
        String daemonId = "e2e-" + scenario + "-daemon-" + Ids.random();
        return new DesktopDaemon(api, daemonId, api.daemonCredential(daemonId));
    }

    /**
     * Another process of this daemon, as on a second machine (or started twice by mistake): the same daemon id
     * and credential, its own root, credential file and logs (under {@code <daemonId>-<name>}).
     */
    DesktopDaemon sameCredential(String name) {
        return new DesktopDaemon(api, daemonId, credential, BASE.resolve(daemonId + "-" + name));
    }

    public String id() {
        return daemonId;
    }

    public String credential() {
        return credential;
    }

    /** Writes a credential file as a user would: created readable by its owner alone (the daemon refuses any other). */
    static void writeCredential(Path file, String credential) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, credential + "\n", StandardCharsets.UTF_8);
    }

    public Path credentialFile() {
        return dir.resolve("credential");
    }

    /** The parent of the threads' working directories. */
    public Path root() {
        return dir.resolve("root");
    }

    /** The thread's working directory, {@code <root>/<threadId>}. */
    public Path workDir(String threadId) {
        return root().resolve(threadId);
    }

    /** Starts the daemon with its credential; returns once it logged its start (it then polls its frames). */
    public Process start(String command) {
        return start(command, credentialFile());
    }

    /** Starts the daemon with the credential in {@code credentialFile}; returns once it logged its start or exited. */
    public Process start(String command, Path credentialFile) {
        return start(command, credentialFile, api.base());
    }

    /** Starts the daemon with its credential against {@code apiUrl} (e.g. a proxy in front of the API). */
    public Process start(String command, URI apiUrl) {
        return start(command, credentialFile(), apiUrl);
    }

    private Process start(String command, Path credentialFile, URI apiUrl) {
        Path jar = E2eStack.repositoryRoot().resolve("daemon/target/runlane-daemon.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build the daemon module first (mvn -pl e2e -am verify builds it)");
        }
        Path log = dir.resolve("daemon-" + (started.size() + 1) + ".log");
        List<String> args = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // A small, quick-starting JVM: the machine is busy with the local cloud.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
                "-jar", jar.toString(),
                "--api-url", apiUrl.toString(),
                "--daemon-id", daemonId,
                "--credential-file", credentialFile.toString(),
                "--root", root().toString(),
                "--command", command,
                "--heartbeat-seconds", String.valueOf(HEARTBEAT_SECONDS),
                "--poll-wait-seconds", "2",
                // Idle polls well inside the stack's 10 s heartbeat window, which counts from the dispatch.
                "--idle-poll-seconds", "1",
                "--kill-grace-seconds", "2");
        Process process;
        try {
            process = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + args, e);
        }
        started.add(process);
        Poll.until(STARTUP_BOUND, "daemon " + daemonId + " starts (log " + log + ")", () -> read(log).orElse(""),
                text -> text.contains("daemon " + daemonId + " started") || !process.isAlive());
        return process;
    }

    /** The daemon process started last. */
    public Process process() {
        if (started.isEmpty()) {
            throw new IllegalStateException("daemon " + daemonId + " was never started");
        }
        return started.get(started.size() - 1);
    }

    /**
     * SIGKILL to the daemon's JVM only, as when a laptop's daemon crashes: the commands it started keep
     * running (they are remembered, and killed by {@link #close()}). Returns once the JVM is gone.
     */
    public void kill() {
        Process process = process();
        orphans.addAll(process.descendants().toList());
        process.destroyForcibly();
        awaitExit(process, Duration.ofSeconds(20));
    }

    /** Sends a signal ({@code STOP}, {@code CONT}, ...) to the daemon's JVM only, not to its commands. */
    public void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process().pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process().pid() + " exited " + kill.exitValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGTERM, as a user stops the daemon: it kills its commands and exits. Returns its exit code. */
    public int stop() {
        Process process = process();
        orphans.addAll(process.descendants().toList());
        process.destroy();
        return awaitExit(process, Duration.ofSeconds(30));
    }

    /** Waits (bounded) for the daemon started last to exit; returns its exit code. */
    public int awaitExit(Duration bound) {
        return awaitExit(process(), bound);
    }

    private int awaitExit(Process process, Duration bound) {
        try {
            if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("daemon " + daemonId + " did not exit within " + bound + "; log:\n" + log());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Everything every start of this daemon logged, oldest first. */
    public String log() {
        StringBuilder all = new StringBuilder();
        for (int i = 1; i <= started.size(); i++) {
            Path log = dir.resolve("daemon-" + i + ".log");
            all.append("--- ").append(log).append('\n').append(read(log).orElse("")).append('\n');
        }
        return all.toString();
    }

    /** The log lines (of every start) that contain all of {@code parts}. */
    public List<String> logLines(String... parts) {
        return log().lines().filter(line -> {
            for (String part : parts) {
                if (!line.contains(part)) {
                    return false;
                }
            }
            return true;
        }).toList();
    }

    /** Kills every daemon process started and every command they ran (descendants now or when killed). */
    @Override
    public void close() {
        for (Process process : started) {
            orphans.addAll(process.descendants().toList());
            process.destroyForcibly();
        }
        orphans.forEach(ProcessHandle::destroyForcibly);
        for (Process process : started) {
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---------------------------------------------------------------- what commands leave behind

    /** A file's text, if it exists. */
    static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The pid a command wrote to {@code file} ({@code echo $$ > file}), once it has. */
    static long pidIn(Path file) {
        return Long.parseLong(read(file).orElseThrow(() -> new IllegalStateException(file + " not written yet")).strip());
    }

    /**
     * Whether the process runs: it exists and is no zombie (a killed orphan may wait a while for init to
     * reap it; it runs nothing any more). Reads {@code /proc}, which these machines have.
     */
    static boolean running(long pid) {
        Path file = Path.of("/proc", Long.toString(pid), "stat");
        Optional<String> stat;
        try {
            stat = read(file);
        } catch (UncheckedIOException vanishing) {
            stat = Files.exists(file) ? Optional.of("? (?) R") : Optional.empty();
        }
        if (stat.isEmpty()) {
            return false;
        }
        String s = stat.get();
        int close = s.lastIndexOf(')');
        char state = close > 0 && s.length() > close + 2 ? s.charAt(close + 2) : '?';
        return state != 'Z' && state != 'X';
    }

    @Override
    public String toString() {
        return "daemon " + daemonId + " (" + dir + ")";
    }
}
