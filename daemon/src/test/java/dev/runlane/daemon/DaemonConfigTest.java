package dev.runlane.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DaemonConfigTest {

    @TempDir
    Path temp;

    private Path credentialFile() throws IOException {
        return Files.writeString(temp.resolve("credential"), "rld_abc123\n");
    }

    @Test
    void readsFlags() throws Exception {
        DaemonConfig c = DaemonConfig.parse(new String[] {
                "--api-url", "http://127.0.0.1:3000/", "--daemon-id", "laptop-1", "--credential-file",
                credentialFile().toString(), "--root", temp.resolve("runs").toString(), "--command", "make test",
                "--heartbeat-seconds=3", "--poll-wait-seconds", "5", "--kill-grace-seconds", "0"}, Map.of());
        assertEquals(URI.create("http://127.0.0.1:3000"), c.apiUrl());
        assertEquals("laptop-1", c.daemonId());
        assertEquals("rld_abc123", c.credential());
        assertEquals(temp.resolve("runs"), c.root());
        assertEquals("make test", c.command());
        assertEquals(3, c.heartbeatSeconds());
        assertEquals(5, c.pollWaitSeconds());
        assertEquals(0, c.killGraceSeconds());
        assertFalse(c.toString().contains("rld_abc123"), "toString never shows the credential");
    }

    @Test
    void readsTheEnvironmentWithDefaultsAndFlagsWin() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of(
                "RUNLANE_API_URL", "https://api.example.com/prod",
                "RUNLANE_DAEMON_ID", "from-env",
                "RUNLANE_DAEMON_CREDENTIAL", "rld_env",
                "RUNLANE_DAEMON_ROOT", temp.toString(),
                "RUNLANE_DAEMON_COMMAND", "echo env"));
        DaemonConfig c = DaemonConfig.parse(new String[] {"--daemon-id", "from-flag"}, env);
        assertEquals(URI.create("https://api.example.com/prod"), c.apiUrl());
        assertEquals("from-flag", c.daemonId());
        assertEquals("rld_env", c.credential());
        assertEquals("echo env", c.command());
        assertEquals(10, c.heartbeatSeconds());
        assertEquals(20, c.pollWaitSeconds());
        assertEquals(5, c.killGraceSeconds());

        env.put("RUNLANE_DAEMON_CREDENTIAL_FILE", credentialFile().toString());
        assertEquals("rld_abc123", DaemonConfig.parse(new String[0], env).credential(), "the file wins over the env value");
    }

    @Test
    void missingOrBadValuesAreOneClearLine() throws Exception {
        Map<String, String> ok = Map.of(
                "RUNLANE_API_URL", "http://127.0.0.1:3000",
                "RUNLANE_DAEMON_ID", "d1",
                "RUNLANE_DAEMON_CREDENTIAL", "rld_x",
                "RUNLANE_DAEMON_ROOT", temp.toString(),
                "RUNLANE_DAEMON_COMMAND", "true");
        assertError("missing --api-url (or environment variable RUNLANE_API_URL)", without(ok, "RUNLANE_API_URL"));
        assertError("missing --daemon-id (or environment variable RUNLANE_DAEMON_ID)", without(ok, "RUNLANE_DAEMON_ID"));
        assertError("missing --root (or environment variable RUNLANE_DAEMON_ROOT)", without(ok, "RUNLANE_DAEMON_ROOT"));
        assertError("missing --command (or environment variable RUNLANE_DAEMON_COMMAND)", without(ok, "RUNLANE_DAEMON_COMMAND"));
        assertTrue(message(without(ok, "RUNLANE_DAEMON_CREDENTIAL")).startsWith("missing credential: --credential-file FILE"));
        assertTrue(message(ok, "--api-url", "ftp://x").startsWith("--api-url must be an http(s) URL"));
        assertTrue(message(ok, "--api-url", "not a url").startsWith("--api-url "));
        assertEquals("--heartbeat-seconds must be a whole number (got 'ten')", message(ok, "--heartbeat-seconds", "ten"));
        assertEquals("--poll-wait-seconds must be between 1 and 20 (got 60)", message(ok, "--poll-wait-seconds", "60"));
        assertTrue(message(ok, "--daemon-id", "a/b").startsWith("--daemon-id must be"));
        assertEquals("unknown argument '--bogus'", message(ok, "--bogus", "1"));
        assertEquals("--root needs a value", message(ok, "--root"));
        assertEquals("--root is given twice", message(ok, "--root", "a", "--root", "b"));
        assertTrue(message(ok, "--credential", "rld_x").startsWith("--credential is not accepted"));
        assertTrue(message(ok, "--credential-file", temp.resolve("nope").toString()).startsWith("cannot read the credential file"));
        Path empty = Files.writeString(temp.resolve("empty"), "\n");
        assertTrue(message(ok, "--credential-file", empty.toString()).endsWith("is empty"));
        Path file = Files.writeString(temp.resolve("file"), "x");
        assertTrue(message(ok, "--root", file.toString()).endsWith("is not a directory"));
    }

    @Test
    void helpWinsOverEverythingElse() {
        assertThrows(DaemonConfig.HelpRequested.class, () -> DaemonConfig.parse(new String[] {"--bogus", "--help"}, Map.of()));
    }

    @Test
    void mainExitsTwoWithOneLineAndUsageOnBadConfig() {
        var out = new java.io.ByteArrayOutputStream();
        int code = Main.run(new String[] {"--api-url"}, Map.of(), new java.io.PrintStream(out), Log.toStderr());
        assertEquals(Main.EXIT_CONFIG, code);
        code = Main.run(new String[] {"--help"}, Map.of(), new java.io.PrintStream(out), Log.toStderr());
        assertEquals(0, code);
        assertTrue(out.toString().startsWith("Usage: runlane daemon"));
    }

    private static Map<String, String> without(Map<String, String> env, String key) {
        Map<String, String> copy = new HashMap<>(env);
        copy.remove(key);
        return copy;
    }

    private static void assertError(String expected, Map<String, String> env) {
        assertEquals(expected, message(env));
    }

    private static String message(Map<String, String> env, String... args) {
        DaemonConfig.ConfigException e = assertThrows(DaemonConfig.ConfigException.class, () -> DaemonConfig.parse(args, env));
        assertFalse(e.getMessage().contains("\n"), "one line");
        return e.getMessage();
    }
}
