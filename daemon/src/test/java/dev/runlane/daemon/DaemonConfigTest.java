package dev.runlane.daemon;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

class DaemonConfigTest {

    @TempDir
    Path temp;

    /**
     * One option: its flag and environment variable, a value and what it becomes, what it is when neither
     * is given (a value, or the message when it is required), and a bad value with the start of its message.
     */
    private record Row(String flag, String env, String value, Object parsed, Object byDefault, String missing,
                       String bad, String badMessage, Function<DaemonConfig, Object> get) {
    }

    private List<Row> rows() throws IOException {
        Path credential = secret("credential", "rld_abc123\n");
        Path file = Files.writeString(temp.resolve("file"), "x");
        Files.createDirectories(temp.resolve("runs"));
        return List.of(
                new Row("--api-url", "RUNLANE_API_URL", "http://127.0.0.1:3000/", URI.create("http://127.0.0.1:3000"),
                        null, "missing --api-url (or environment variable RUNLANE_API_URL)",
                        "ftp://x", "--api-url must be an http(s) URL without query", DaemonConfig::apiUrl),
                new Row("--daemon-id", "RUNLANE_DAEMON_ID", "laptop-1", "laptop-1",
                        null, "missing --daemon-id (or environment variable RUNLANE_DAEMON_ID)",
                        "a/b", "--daemon-id must be 1-64 letters, digits, '-' or '_', starting with a letter or digit (got 'a/b')",
                        DaemonConfig::daemonId),
                // Without the file, the credential comes from RUNLANE_DAEMON_CREDENTIAL (which the base environment has).
                new Row("--credential-file", "RUNLANE_DAEMON_CREDENTIAL_FILE", credential.toString(), "rld_abc123",
                        "rld_env", null, temp.resolve("nope").toString(), "cannot read the credential file",
                        DaemonConfig::credential),
                new Row("--root", "RUNLANE_DAEMON_ROOT", temp.resolve("runs").toString(), temp.resolve("runs"),
                        null, "missing --root (or environment variable RUNLANE_DAEMON_ROOT)",
                        file.toString(), "--root " + file + " is not a directory", DaemonConfig::root),
                new Row("--command", "RUNLANE_DAEMON_COMMAND", "make test", "make test",
                        null, "missing --command (or environment variable RUNLANE_DAEMON_COMMAND)",
                        " ", "missing --command (or environment variable RUNLANE_DAEMON_COMMAND)", DaemonConfig::command),
                new Row("--heartbeat-seconds", "RUNLANE_DAEMON_HEARTBEAT_SECONDS", "3", 3, 10, null,
                        "ten", "--heartbeat-seconds must be a whole number (got 'ten')", DaemonConfig::heartbeatSeconds),
                new Row("--poll-wait-seconds", "RUNLANE_DAEMON_POLL_WAIT_SECONDS", "5", 5, 20, null,
                        "60", "--poll-wait-seconds must be between 1 and 20 (got 60)", DaemonConfig::pollWaitSeconds),
                new Row("--idle-poll-seconds", "RUNLANE_DAEMON_IDLE_POLL_SECONDS", "0", 0, 5, null,
                        "61", "--idle-poll-seconds must be between 0 and 60 (got 61)", DaemonConfig::idlePollSeconds),
                new Row("--kill-grace-seconds", "RUNLANE_DAEMON_KILL_GRACE_SECONDS", "0", 0, 5, null,
                        "301", "--kill-grace-seconds must be between 0 and 300 (got 301)", DaemonConfig::killGraceSeconds));
    }

    /** Every required value from the environment, and a credential in RUNLANE_DAEMON_CREDENTIAL. */
    private Map<String, String> base() {
        return Map.of(
                "RUNLANE_API_URL", "https://api.example.com/prod",
                "RUNLANE_DAEMON_ID", "from-env",
                "RUNLANE_DAEMON_CREDENTIAL", "rld_env",
                "RUNLANE_DAEMON_ROOT", temp.toString(),
                "RUNLANE_DAEMON_COMMAND", "echo env");
    }

    @TestFactory
    Stream<DynamicTest> eachOptionFromItsFlagOrItsEnvironmentVariableWithItsDefaultAndItsCheck() throws IOException {
        String help = help();
        List<DynamicTest> tests = new ArrayList<>();
        for (Row row : rows()) {
            tests.add(dynamicTest(row.flag() + " VALUE and " + row.flag() + "=VALUE win over the environment", () -> {
                Map<String, String> env = with(base(), row.env(), row.bad());
                assertEquals(row.parsed(), row.get().apply(DaemonConfig.parse(new String[] {row.flag(), row.value()}, env)));
                assertEquals(row.parsed(), row.get().apply(DaemonConfig.parse(new String[] {row.flag() + "=" + row.value()}, env)));
            }));
            tests.add(dynamicTest(row.env() + " stands for " + row.flag(), () ->
                    assertEquals(row.parsed(), row.get().apply(DaemonConfig.parse(new String[0], with(base(), row.env(), row.value()))))));
            tests.add(dynamicTest(row.flag() + " unset or blank", () -> {
                for (Map<String, String> env : List.of(without(base(), row.env()), with(base(), row.env(), " "))) {
                    if (row.missing() != null) {
                        assertEquals(row.missing(), message(env));
                    } else {
                        assertEquals(row.byDefault(), row.get().apply(DaemonConfig.parse(new String[0], env)));
                    }
                }
            }));
            tests.add(dynamicTest(row.flag() + " refuses '" + row.bad() + "' from the flag or the environment", () -> {
                assertTrue(message(base(), row.flag(), row.bad()).startsWith(row.badMessage()), message(base(), row.flag(), row.bad()));
                assertTrue(message(with(base(), row.env(), row.bad())).startsWith(row.badMessage()));
            }));
            tests.add(dynamicTest(row.flag() + " needs a value, once", () -> {
                assertEquals(row.flag() + " needs a value", message(base(), row.flag()));
                assertEquals(row.flag() + " is given twice", message(base(), row.flag(), row.value(), row.flag(), row.value()));
            }));
            tests.add(dynamicTest("--help shows " + row.flag() + " with " + row.env(), () -> {
                String entry = helpEntry(help, row.flag());
                assertTrue(entry.contains("env " + row.env()), entry);
                if (row.missing() == null && row.byDefault() instanceof Integer n) {
                    assertTrue(entry.contains(", default " + n), entry);
                }
            }));
        }
        return tests.stream();
    }

    @Test
    void theCredentialFileWinsOverTheCredentialInTheEnvironmentAndBothMissingIsOneLine() throws Exception {
        Path file = secret("credential", "rld_abc123\n");
        assertEquals("rld_abc123", DaemonConfig.parse(new String[0],
                with(base(), "RUNLANE_DAEMON_CREDENTIAL_FILE", file.toString())).credential());
        assertTrue(message(without(base(), "RUNLANE_DAEMON_CREDENTIAL")).startsWith(
                "missing credential: --credential-file FILE (or environment variable RUNLANE_DAEMON_CREDENTIAL_FILE or RUNLANE_DAEMON_CREDENTIAL)"));
        Path empty = Files.writeString(temp.resolve("empty"), "\n");
        assertTrue(message(base(), "--credential-file", empty.toString()).endsWith("is empty"));
        assertEquals("the credential must be one line of printable ASCII without spaces",
                message(with(base(), "RUNLANE_DAEMON_CREDENTIAL", "rld x")));
        assertFalse(DaemonConfig.parse(new String[0], base()).toString().contains("rld_env"), "toString never shows the credential");
    }

    @Test
    void aCredentialFileOthersCanReadIsRefused() throws Exception {
        Path file = secret("credential", "rld_abc123\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals("the credential file " + file + " can be used by others (mode rw-r--r--): make it readable by you alone,"
                + " e.g. chmod 600 " + file, message(base(), "--credential-file", file.toString()));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        assertEquals("rld_abc123", DaemonConfig.parse(new String[] {"--credential-file", file.toString()}, base()).credential());
    }

    @Test
    void plainHttpIsRefusedUnlessTheApiIsOnThisMachine() throws Exception {
        for (String local : List.of("http://127.0.0.1:3000", "http://localhost:3000", "http://[::1]:3000", "https://api.example.com")) {
            assertEquals(URI.create(local), DaemonConfig.parse(new String[] {"--api-url", local}, base()).apiUrl());
        }
        for (String remote : List.of("http://api.example.com", "http://10.0.0.5:3000", "http://127.0.0.1.evil.example")) {
            assertTrue(message(base(), "--api-url", remote).startsWith("--api-url must be https unless the API is on this machine"),
                    remote);
        }
    }

    @Test
    void badArgumentsAreOneClearLine() {
        assertEquals("unknown argument '--bogus'", message(base(), "--bogus", "1"));
        assertEquals("unknown argument '--bogus'", message(base(), "--bogus=secret"), "the value of an unknown option is not shown");
        assertEquals("unknown argument 'stray'", message(base(), "stray"));
        assertTrue(message(base(), "--credential", "rld_x").startsWith("--credential is not accepted"));
        assertTrue(message(base(), "--credential=rld_x").startsWith("--credential is not accepted"));
        assertFalse(message(base(), "--credential=rld_x").contains("rld_x"));
        assertTrue(message(base(), "--api-url", "not a url").startsWith("--api-url "));
        assertEquals("--api-url needs a value", message(base(), "--api-url", "--daemon-id", "d1"), "an option's name is no value");
    }

    @Test
    void theDaemonIdFollowsTheServersRule() throws Exception {
        assertEquals("d".repeat(64), DaemonConfig.parse(new String[] {"--daemon-id", "d".repeat(64)}, base()).daemonId());
        for (String bad : List.of("d".repeat(65), "a.b", "a:b", "-a", "_a", "a b", "é")) {
            assertTrue(message(base(), "--daemon-id", bad).startsWith("--daemon-id must be 1-64 letters"), bad);
        }
    }

    @Test
    void valuesAreTakenAsGiven() throws Exception {
        assertEquals("echo ${HOME} $PATH", DaemonConfig.parse(new String[0],
                with(base(), "RUNLANE_DAEMON_COMMAND", "echo ${HOME} $PATH")).command(), "no ${...} expansion");
        Path args = Files.writeString(temp.resolve("args"), "--command\nfrom-file\n");
        assertEquals("@" + args, DaemonConfig.parse(new String[] {"--command", "@" + args}, base()).command(), "no @file arguments");
        assertEquals("-x --y", DaemonConfig.parse(new String[] {"--command", "-x --y"}, base()).command());
    }

    @Test
    void helpWinsOverEverythingElse() {
        assertThrows(DaemonConfig.HelpRequested.class, () -> DaemonConfig.parse(new String[] {"--bogus", "--help"}, Map.of()));
        assertThrows(DaemonConfig.HelpRequested.class, () -> DaemonConfig.parse(new String[] {"-h"}, Map.of()));
    }

    @Test
    void versionIsTheProjectVersion() throws Exception {
        var out = new ByteArrayOutputStream();
        assertEquals(0, Main.run(new String[] {"--version"}, Map.of(), new PrintStream(out), Log.toStderr()));
        assertTrue(out.toString().matches("runlane daemon \\d+\\.\\d+\\.\\d+\\S*\\R"), out.toString());
    }

    @Test
    void mainExitsTwoWithOneLineAndUsageOnBadConfig() {
        var out = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"--api-url"}, Map.of(), new PrintStream(out), Log.toStderr());
        assertEquals(Main.EXIT_CONFIG, code);
        code = Main.run(new String[] {"--help"}, Map.of(), new PrintStream(out), Log.toStderr());
        assertEquals(0, code);
        assertTrue(out.toString().startsWith("Usage: runlane daemon"));
    }

    private static String help() {
        var out = new ByteArrayOutputStream();
        assertEquals(0, Main.run(new String[] {"--help"}, Map.of(), new PrintStream(out), Log.toStderr()));
        return out.toString().replace(System.lineSeparator(), "\n");
    }

    /** The option's lines in the help: its flag's line and the description lines under it. */
    private static String helpEntry(String help, String flag) {
        List<String> lines = help.lines().toList();
        int first = 0;
        while (!lines.get(first).strip().startsWith(flag + "=")) {
            first++;
        }
        StringBuilder entry = new StringBuilder(lines.get(first));
        for (int i = first + 1; i < lines.size() && !lines.get(i).strip().startsWith("-") && !lines.get(i).isBlank(); i++) {
            entry.append('\n').append(lines.get(i));
        }
        return entry.toString();
    }

    private static Map<String, String> with(Map<String, String> env, String key, String value) {
        Map<String, String> copy = new HashMap<>(env);
        copy.put(key, value);
        return copy;
    }

    private static Map<String, String> without(Map<String, String> env, String key) {
        Map<String, String> copy = new HashMap<>(env);
        copy.remove(key);
        return copy;
    }

    private static String message(Map<String, String> env, String... args) {
        DaemonConfig.ConfigException e = assertThrows(DaemonConfig.ConfigException.class, () -> DaemonConfig.parse(args, env));
        assertFalse(e.getMessage().contains("\n"), "one line");
        return e.getMessage();
    }

    /** A credential file as the README makes it: readable by its owner alone. */
    private Path secret(String name, String content) throws IOException {
        Path file = Files.writeString(temp.resolve(name), content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
