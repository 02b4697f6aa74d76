package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The web console in a real browser: Debian's Chromium, headless, driven by playwright-core
 * ({@code console/web/tests/console.mjs}). Seeds runs in every state on the suite's local cloud (two
 * runs of one thread in order, a FAILED run, a RUNNING run with one QUEUED behind it and one CANCELLED,
 * a paused thread with a run queued), then the script opens each page and checks what it shows, cancels
 * a queued and a running run and pauses and resumes a thread from the page (the pause with the
 * keyboard), and saves screenshots (1280x800 and 420 px wide) to {@code target/console-screenshots/}.
 * Then a page of another origin tries to pause a thread and rerun its run (a text/plain fetch, a fetch
 * with a guessed token, form POSTs) and a DNS-rebound name tries the same: the console refuses them,
 * and the API shows the thread neither paused nor given a second run.
 */
class ConsoleBrowserIT extends Scenario {
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("RUNLANE_CHROMIUM", "/usr/bin/chromium"));
    /** The script's own waits are bounded at 30 s each; this bounds the whole script. */
    private static final Duration SCRIPT_BOUND = Duration.ofMinutes(4);
    private static final List<String> SCREENSHOTS = List.of("thread-1280", "run-1280", "run-failed-1280", "thread-live-1280",
            "run-running-1280", "threads-1280", "threads-420", "thread-420", "run-420");

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void everyPageShowsItsRunsAndItsActionsWork() throws Exception {
        requireChromium();
        URI console = stack.consoleUri().orElse(null);
        Assumptions.assumeTrue(console != null, "the console browser test runs on the local cloud the suite starts (it serves the console)");

        Map<String, String> env = new LinkedHashMap<>();
        env.put("CONSOLE_URL", console.toString());

        // Two runs on one thread, as in the README's walkthrough: the second waits for the first.
        String demo = Ids.thread("console-demo");
        String first = api.startRun(demo, Api.simulated(4000, 500)).path("runId").asText();
        String second = api.startRun(demo, Api.echo("second")).path("runId").asText();
        String failedThread = Ids.thread("console-failed");
        String failedRun = api.startRun(failedThread,
                Api.hosted(Api.JSON.createObjectNode().put("agent", "simulated").put("fatal", true).put("durationMs", 200))).path("runId").asText();

        String paused = Ids.thread("console-paused");
        assertEquals(200, api.pause(paused).status());
        String pausedQueued = api.startRun(paused, Api.echo("waits for resume")).path("runId").asText();

        String live = Ids.thread("console-live");
        // Longer than the whole test: it is still RUNNING (in a later attempt if one times out) when the page cancels it.
        String running = api.startRun(live, Api.simulated(600_000, 1000)).path("runId").asText();
        String queued = api.startRun(live, Api.echo("queued")).path("runId").asText();
        String cancelled = api.startRun(live, Api.echo("cancelled")).path("runId").asText();
        assertEquals(200, api.cancel(cancelled).status());

        // What pages of other origins try to pause and rerun.
        String victim = Ids.thread("console-victim");
        String victimRun = api.startRun(victim, Api.echo("victim")).path("runId").asText();

        try {
            assertEquals("SUCCEEDED", api.awaitTerminal(first, Duration.ofSeconds(90)).path("status").asText());
            assertEquals("SUCCEEDED", api.awaitTerminal(second, Duration.ofSeconds(90)).path("status").asText());
            assertEquals("FAILED", api.awaitTerminal(failedRun, Duration.ofSeconds(90)).path("status").asText());
            api.awaitStatus(running, "RUNNING", Duration.ofSeconds(60));
            Poll.until(Duration.ofSeconds(30), "a progress event of " + running, () -> api.events(running), e -> !e.isEmpty());
            assertEquals("QUEUED", api.run(queued).path("status").asText());
            assertEquals("QUEUED", api.run(pausedQueued).path("status").asText());
            assertEquals("SUCCEEDED", api.awaitTerminal(victimRun, Duration.ofSeconds(90)).path("status").asText());

            env.put("DEMO_THREAD", demo);
            env.put("DEMO_FIRST", first);
            env.put("DEMO_SECOND", second);
            env.put("FAILED_THREAD", failedThread);
            env.put("FAILED_RUN", failedRun);
            env.put("PAUSED_THREAD", paused);
            env.put("PAUSED_QUEUED", pausedQueued);
            env.put("LIVE_THREAD", live);
            env.put("LIVE_RUNNING", running);
            env.put("LIVE_QUEUED", queued);
            env.put("LIVE_CANCELLED", cancelled);
            env.put("VICTIM_THREAD", victim);
            env.put("VICTIM_RUN", victimRun);
            Path shots = Path.of("target", "console-screenshots").toAbsolutePath();
            env.put("SCREENSHOTS", shots.toString());
            env.put("CHROMIUM", CHROMIUM.toString());

            List<String> output = runScript(env);
            assertTrue(output.stream().noneMatch(l -> l.startsWith("FAILED") || l.startsWith("page error")), String.join("\n", output));
            for (String name : SCREENSHOTS) {
                Path png = shots.resolve(name + ".png");
                assertTrue(Files.size(png) > 1000, "screenshot " + png);
                System.out.println("[[ATTACHMENT|" + png + "]]"); // the JUnit attachments convention (Jenkins, GitLab)
            }
            // What the pages did, seen through the API.
            assertEquals("CANCELLED", api.run(queued).path("status").asText(), "the queued run cancelled from the thread page");
            assertEquals("CANCELLED", api.awaitTerminal(running, Duration.ofSeconds(30)).path("status").asText(),
                    "the running run cancelled from its page");
            assertTrue(!api.threadView(live).path("paused").asBoolean(true), "paused, then resumed from the thread page");
            assertFalse(api.threadView(victim).path("paused").asBoolean(true), "no page of another origin paused the thread");
            assertEquals(List.of(victimRun), api.threadRuns(victim).stream().map(r -> r.path("runId").asText()).toList(),
                    "no page of another origin reran its run");
        } finally {
            // Leave nothing running or paused for the scenarios that share the stack.
            api.cancelThread(live, "all");
            api.cancelThread(paused, "all");
            api.resume(paused);
            api.resume(victim);
        }
    }

    private static void requireChromium() {
        if (Files.isExecutable(CHROMIUM)) {
            return;
        }
        String reason = CHROMIUM + " is missing: install Debian's chromium package (apt-get install chromium; .ci/run does)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(reason); // in CI a missing browser is a broken setup, not a reason to skip
        }
        Assumptions.abort(reason);
    }

    /** Runs the Playwright script with node; its lines are printed as the test's output. */
    private static List<String> runScript(Map<String, String> env) throws IOException, InterruptedException {
        Path web = E2eStack.repositoryRoot().resolve("console/web");
        Path script = web.resolve("tests/console.mjs");
        assertTrue(Files.isDirectory(web.resolve("node_modules/playwright-core")),
                "console/web/node_modules is missing: the console module's build (npm ci) installs it");
        ProcessBuilder builder = new ProcessBuilder("node", script.toString()).directory(web.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process node = builder.start();
        List<String> lines = new ArrayList<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (var in = node.inputReader(StandardCharsets.UTF_8)) {
                in.lines().forEach(line -> {
                    System.out.println("[e2e] console: " + line);
                    synchronized (lines) {
                        lines.add(line);
                    }
                });
            } catch (IOException e) {
                System.out.println("[e2e] console: output lost: " + e);
            }
        });
        if (!node.waitFor(SCRIPT_BOUND.toSeconds(), TimeUnit.SECONDS)) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly();
            fail("the browser script did not end within " + SCRIPT_BOUND);
        }
        reader.join(Duration.ofSeconds(10));
        synchronized (lines) {
            assertEquals(0, node.exitValue(), "the browser script failed:\n" + String.join("\n", lines));
            return List.copyOf(lines);
        }
    }
}
