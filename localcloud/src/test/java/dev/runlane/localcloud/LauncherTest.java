package dev.runlane.localcloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code runlane} launcher builds an artifact when it is missing or older than its sources, the same
 * way for every command. The real script runs in a copy of the repository's layout, with stand-ins for
 * mvn (records its arguments, creates an artifact it was asked for), java (records what it runs) and
 * python3 (moto "installed").
 */
class LauncherTest {
    private static final String[] MODULES = {"core", "aws", "functions", "console", "localcloud", "daemon", "bench"};
    private static final String BUILD_LOCAL = "mvn -q -B -pl functions,localcloud -am package -DskipTests";

    @TempDir Path root;
    private Path log;
    private final Instant sourcesTime = Instant.now().minus(Duration.ofHours(2));
    private final Instant artifactsTime = Instant.now().minus(Duration.ofHours(1));

    @BeforeEach
    void repository() throws Exception {
        Files.copy(Repo.root().resolve("runlane"), root.resolve("runlane"));
        write(root.resolve("pom.xml"), "<project/>");
        for (String module : MODULES) {
            write(root.resolve(module).resolve("pom.xml"), "<project/>");
            write(root.resolve(module).resolve("src/main/java/dev/runlane/A.java"), "class A {}");
        }
        write(root.resolve("console/web/src/main.ts"), "");
        write(root.resolve("console/web/index.html"), "");
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                Files.setLastModifiedTime(p, FileTime.from(sourcesTime));
            }
        }
        for (String module : MODULES) {
            if (!module.equals("core") && !module.equals("aws")) {
                Path artifact = artifact(module);
                write(artifact, "built");
                Files.setLastModifiedTime(artifact, FileTime.from(artifactsTime));
            }
        }
        log = root.resolve("calls.log");
        Path bin = root.resolve("fake-bin");
        script(bin.resolve("mvn"), """
                echo "mvn $*" >> "$LOG"
                echo "WARNING: sun.misc.Unsafe::objectFieldOffset has been called" >&2
                if [ -n "$FAIL_BUILD" ]; then echo "[ERROR] A.java:[1,1] class, interface or enum expected"; exit 1; fi
                modules=$(echo "$*" | sed -n 's/.*-pl \\([^ ]*\\).*/\\1/p' | tr , ' ')
                for m in $modules; do
                  if [ "$m" = functions ]; then a=functions/target/function.zip; else a=$m/target/runlane-$m.jar; fi
                  mkdir -p "$(dirname "$a")"; [ -f "$a" ] || echo built > "$a"
                done
                """);
        script(bin.resolve("python3"), "exit 0\n");
        Path jdk = root.resolve("fake-jdk");
        script(jdk.resolve("bin/java"), """
                case "$*" in *-XshowSettings*) echo '    java.specification.version = 21' >&2; exit 0 ;; esac
                echo "java $*" >> "$LOG"
                """);
        script(jdk.resolve("bin/javac"), "exit 0\n");
    }

    @Test
    void upToDateArtifactsAreNotBuilt() throws Exception {
        assertEquals(List.of("java -jar " + root.resolve("localcloud/target/runlane-localcloud.jar") + " --template "
                + root.resolve("template.yaml")), run("local"));
        assertEquals(List.of(), builds("daemon", "--help"));
        assertEquals(List.of(), builds("watch", "run-1"));
        assertEquals(List.of(), builds("console", "--api-url", "http://127.0.0.1:3000"));
        assertEquals(List.of(), builds("bench", "--quick"));
    }

    @Test
    void aPulledCoreChangeRebuildsEveryCommandsArtifactsOnce() throws Exception {
        touch("core/src/main/java/dev/runlane/A.java");
        assertEquals(List.of(BUILD_LOCAL), builds("local"));
        assertEquals(List.of(), builds("local"), "built once: the artifacts are now newer than the sources");
        assertEquals(List.of("mvn -q -B -pl daemon -am package -DskipTests"), builds("daemon", "--help"));
        assertEquals(List.of(), builds("watch", "run-1"));
        assertEquals(List.of("mvn -q -B -pl bench -am package -DskipTests"), builds("bench", "--quick"));
    }

    @Test
    void eachCommandRebuildsOnlyWhatItsSourcesChanged() throws Exception {
        touch("daemon/src/main/java/dev/runlane/A.java");
        assertEquals(List.of(), builds("local"));
        assertEquals(List.of("mvn -q -B -pl daemon -am package -DskipTests"), builds("watch", "run-1"));

        touch("console/web/src/main.ts");
        assertEquals(List.of("mvn -q -B -pl localcloud -am package -DskipTests"), builds("local"));
        assertEquals(List.of("mvn -q -B -pl console -am package -DskipTests"), builds("console", "--api-url", "http://127.0.0.1:3000"));

        touch("functions/pom.xml");
        assertEquals(List.of("mvn -q -B -pl functions -am package -DskipTests"), builds("local"));
    }

    @Test
    void aDeletedSourceOrAMissingArtifactIsBuilt() throws Exception {
        Files.delete(root.resolve("aws/src/main/java/dev/runlane/A.java"));
        assertEquals(List.of("mvn -q -B -pl functions -am package -DskipTests"), builds("local"));

        Files.delete(artifact("localcloud"));
        assertEquals(List.of("mvn -q -B -pl localcloud -am package -DskipTests"), builds("local"));
    }

    @Test
    void rebuildBuildsBothAlways() throws Exception {
        assertEquals(List.of(BUILD_LOCAL), builds("local", "--rebuild"));
    }

    @Test
    void aBuildShowsOneLineNotMavensNoticesUnlessItFailsOrVerbose() throws Exception {
        touch("functions/pom.xml");
        Launch quiet = launch(Map.of(), "local");
        assertEquals(0, quiet.exit(), quiet.output());
        List<String> said = quiet.output().lines().toList();
        assertEquals(2, said.size(), quiet.output());
        assertEquals("runlane: building functions (a minute or two the first time; --verbose shows Maven's output) ...", said.get(0));
        assertTrue(said.get(1).matches("runlane: built functions in \\d+ s"), said.get(1));

        touch("functions/pom.xml");
        Launch verbose = launch(Map.of(), "local", "--verbose");
        assertEquals(List.of("runlane: building functions ...", "WARNING: sun.misc.Unsafe::objectFieldOffset has been called"),
                verbose.output().lines().toList());
        assertEquals("java -jar " + root.resolve("localcloud/target/runlane-localcloud.jar") + " --template "
                + root.resolve("template.yaml") + " --verbose", verbose.calls().getLast(), "the local cloud is verbose too");

        touch("functions/pom.xml");
        Launch failed = launch(Map.of("FAIL_BUILD", "1"), "local");
        assertEquals(1, failed.exit());
        List<String> lines = failed.output().lines().toList();
        assertEquals("WARNING: sun.misc.Unsafe::objectFieldOffset has been called", lines.get(1), failed.output());
        assertEquals("[ERROR] A.java:[1,1] class, interface or enum expected", lines.get(2), failed.output());
        assertTrue(lines.get(3).startsWith("runlane: the build of functions failed (above: the end of its log, all of it in "),
                failed.output());
        assertTrue(failed.calls().stream().noneMatch(c -> c.startsWith("java ")), "nothing runs after a failed build");
    }

    private List<String> builds(String... args) throws Exception {
        return run(args).stream().filter(line -> line.startsWith("mvn ")).toList();
    }

    /** Runs the copied launcher, which must succeed; returns the calls it made to mvn and java. */
    private List<String> run(String... args) throws Exception {
        Launch launch = launch(Map.of(), args);
        if (launch.exit() != 0) {
            throw new AssertionError("./runlane " + String.join(" ", args) + " failed: " + launch.output());
        }
        return launch.calls();
    }

    /** What one launch did: its exit code, its output (stdout and stderr), its calls to mvn and java. */
    private record Launch(int exit, String output, List<String> calls) {
    }

    private Launch launch(Map<String, String> env, String... args) throws Exception {
        Files.deleteIfExists(log);
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("runlane").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PATH", root.resolve("fake-bin") + ":/usr/bin:/bin");
        builder.environment().put("JAVA_HOME", root.resolve("fake-jdk").toString());
        builder.environment().put("LOG", log.toString());
        builder.environment().remove("RUNLANE_VERBOSE");
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("./runlane " + String.join(" ", args) + " did not end: " + output);
        }
        return new Launch(process.exitValue(), output, Files.exists(log) ? Files.readAllLines(log) : List.of());
    }

    private Path artifact(String module) {
        return module.equals("functions") ? root.resolve("functions/target/function.zip")
                : root.resolve(module).resolve("target/runlane-" + module + ".jar");
    }

    private void touch(String file) throws IOException {
        Files.setLastModifiedTime(root.resolve(file), FileTime.from(Instant.now()));
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    private static void script(Path file, String body) throws IOException {
        write(file, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
