package dev.runlane.localcloud.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.edge.Edge;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real sandboxes (JVMs running AWS's runtime client) behind a real edge; nothing mocked. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LambdaServiceIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path zip;
    static LambdaService lambdas;
    static Edge edge;

    @BeforeAll
    static void start() throws IOException {
        zip = FixtureFunction.build(dir.resolve("fixture"));
        lambdas = new LambdaService(dir.resolve("work"), 2);
        edge = new Edge(0, lambdas, URI.create("http://127.0.0.1:9")); // nothing is forwarded in these tests
        edge.start();
    }

    @AfterAll
    static void stop() {
        lambdas.close();
        edge.close();
    }

    private static FunctionSpec register(String name, int timeoutSeconds, Map<String, String> env) {
        FunctionSpec spec = FixtureFunction.spec(zip, name, timeoutSeconds, env);
        lambdas.register(spec);
        return spec;
    }

    private static JsonNode json(InvokeResult result) throws IOException {
        return JSON.readTree(result.payload());
    }

    private static InvokeResult invoke(String function, String event) {
        return lambdas.invoke(function, event.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void syncInvokeReturnsThePayloadWithLambdasEnvironment() throws IOException {
        register("Echo", 10, Map.of());
        InvokeResult result = invoke("Echo", "hello");
        assertEquals(200, result.statusCode());
        assertNull(result.functionError());
        assertEquals("hello", json(result).get("echo").asText());
        assertEquals("Echo", json(result).get("function").asText());
        assertTrue(json(result).get("remainingMs").asLong() > 8_000, "deadline reaches the function");
        assertTrue(result.logResult().contains("fixture got hello"), result.logResult());
        assertTrue(result.logResult().contains("REPORT RequestId: "), result.logResult());
    }

    @Test
    void warmSandboxIsReusedWithoutInit() throws IOException {
        register("Warm", 10, Map.of());
        InvokeResult first = invoke("Warm", "one");
        InvokeResult second = invoke("Warm", "two");
        assertEquals(json(first).get("pid"), json(second).get("pid"));
        assertTrue(first.logResult().contains("Init Duration: "), first.logResult());
        assertFalse(second.logResult().contains("Init Duration"), second.logResult());
    }

    @Test
    void concurrentInvocationsGetTheirOwnSandbox() throws Exception {
        register("Busy", 10, Map.of());
        CompletableFuture<InvokeResult> a = CompletableFuture.supplyAsync(() -> invoke("Busy", "sleep:1500"));
        CompletableFuture<InvokeResult> b = CompletableFuture.supplyAsync(() -> invoke("Busy", "sleep:1500"));
        assertNotEquals(json(a.get()).get("pid"), json(b.get()).get("pid"));
    }

    @Test
    void aBusyFunctionsNextInvocationWaitsForAWarmSandboxRatherThanAColdStart() throws Exception {
        register("Patient", 10, Map.of());
        for (int i = 0; i < 3; i++) {
            invoke("Patient", "sleep:1000"); // warm invocations of about a second: the wait a cold start must beat
        }
        // Whichever of the two finds the sandbox busy waits for it (about a second) instead of starting a JVM.
        CompletableFuture<InvokeResult> busy = CompletableFuture.supplyAsync(() -> invoke("Patient", "sleep:100"));
        CompletableFuture<InvokeResult> next = CompletableFuture.supplyAsync(() -> invoke("Patient", "next"));
        assertEquals(json(busy.get()).get("pid"), json(next.get()).get("pid"), "one sandbox served both, no new JVM");
        assertFalse(busy.get().logResult().contains("Init Duration") || next.get().logResult().contains("Init Duration"));
    }

    @Test
    void invocationsBeyondTheLimitWaitForAFreeSandbox() throws Exception {
        register("Queued", 10, Map.of());
        List<CompletableFuture<InvokeResult>> calls = List.of(
                CompletableFuture.supplyAsync(() -> invoke("Queued", "sleep:300")),
                CompletableFuture.supplyAsync(() -> invoke("Queued", "sleep:300")),
                CompletableFuture.supplyAsync(() -> invoke("Queued", "sleep:300")));
        List<InvokeResult> results = calls.stream().map(CompletableFuture::join).toList();
        results.forEach(r -> assertNull(r.functionError(), () -> new String(r.payload(), StandardCharsets.UTF_8)));
        long pids = results.stream().map(r -> new String(r.payload(), StandardCharsets.UTF_8)
                .replaceAll(".*\"pid\":(\\d+).*", "$1")).distinct().count();
        assertTrue(pids <= 2, "at most maxSandboxesPerFunction sandboxes, got " + pids);
    }

    @Test
    void aReservedConcurrencyWithinTheLocalLimitThrottlesAtOnceAsLambdaDoesButQueuedInvocationsWait() {
        FunctionSpec base = FixtureFunction.spec(zip, "Reserved", 10, Map.of());
        lambdas.register(new FunctionSpec(base.name(), base.arn(), base.code(), base.handler(), base.environment(),
                base.timeoutSeconds(), base.memoryMb(), 1));
        // A queued (Event) invocation is never throttled: it waits for the one reserved execution, then holds it 3 s.
        lambdas.invokeAsync("Reserved", "sleep:3000".getBytes(StandardCharsets.UTF_8));
        TooManyRequestsException throttled = null;
        for (long until = System.nanoTime() + 10_000_000_000L; throttled == null && System.nanoTime() < until; ) {
            try {
                invoke("Reserved", "hi");
            } catch (TooManyRequestsException refused) {
                throttled = refused;
            }
        }
        assertNotNull(throttled, "a synchronous invocation past the reservation is throttled at once");
        assertTrue(throttled.getMessage().contains("reserved concurrency, 1,"), throttled.getMessage());
    }

    @Test
    void timeoutKillsTheSandboxWithLambdasErrorShape() throws IOException {
        register("Slow", 1, Map.of());
        long start = System.nanoTime();
        InvokeResult result = invoke("Slow", "sleep:60000");
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals("Unhandled", result.functionError());
        assertEquals("Sandbox.Timedout", json(result).get("errorType").asText());
        assertTrue(json(result).get("errorMessage").asText().matches("RequestId: \\S+ Error: Task timed out after 1.00 seconds"),
                json(result).toString());
        assertTrue(elapsedMs < 15_000, "killed at the timeout, took " + elapsedMs + " ms");
        InvokeResult next = invoke("Slow", "after");
        assertNull(next.functionError());
        assertTrue(next.logResult().contains("Init Duration"), "a fresh sandbox replaced the killed one");
    }

    @Test
    void handlerExceptionIsReportedAsLambdaDoes() throws IOException {
        register("Failing", 10, Map.of());
        InvokeResult result = invoke("Failing", "fail:boom");
        assertEquals(200, result.statusCode());
        assertEquals("Unhandled", result.functionError());
        assertEquals("java.lang.IllegalArgumentException", json(result).get("errorType").asText());
        assertEquals("boom", json(result).get("errorMessage").asText());
        assertNull(invoke("Failing", "again").functionError(), "the sandbox survives a handler exception");
    }

    @Test
    void initErrorFailsTheInvocationAndDiscardsTheSandbox() throws IOException {
        register("Broken", 10, Map.of("FIXTURE_INIT_FAIL", "true"));
        InvokeResult result = invoke("Broken", "hello");
        assertEquals("Unhandled", result.functionError());
        assertTrue(json(result).get("errorMessage").asText().contains("init failed on purpose")
                || json(result).toString().contains("ExceptionInInitializerError"), json(result).toString());
        InvokeResult again = invoke("Broken", "hello");
        assertEquals("Unhandled", again.functionError());
        assertTrue(again.logResult().contains("Init Duration"), "every attempt starts a new sandbox");
    }

    @Test
    void sandboxDyingMidInvocationIsARuntimeExitError() throws IOException {
        register("Crashing", 10, Map.of());
        InvokeResult result = invoke("Crashing", "exit");
        assertEquals("Unhandled", result.functionError());
        assertEquals("Runtime.ExitError", json(result).get("errorType").asText());
    }

    @Test
    void qualifiedNamesAndArnsResolveToTheFunction() {
        register("Named", 10, Map.of());
        for (String name : List.of("Named", "Named:live", "arn:aws:lambda:us-east-1:123456789012:function:Named:live",
                "123456789012:function:Named")) {
            assertEquals("Named", lambdas.function(name).name(), name);
        }
        assertThrows(FunctionNotFoundException.class, () -> lambdas.invoke("Missing", new byte[0]));
    }
    @Test
    void closeKillsEverySandboxAndFailsWhatWasInFlight() throws Exception {
        Set<Long> before = sandboxPids();
        LambdaService own = new LambdaService(dir.resolve("work-close"), 2);
        try (Edge ownEdge = new Edge(0, own, URI.create("http://127.0.0.1:9"))) {
            ownEdge.start();
            own.register(FixtureFunction.spec(zip, "Closing", 30, Map.of()));
            CompletableFuture<InvokeResult> busy = CompletableFuture.supplyAsync(
                    () -> own.invoke("Closing", "sleep:60000".getBytes(StandardCharsets.UTF_8)));
            own.invoke("Closing", "warm".getBytes(StandardCharsets.UTF_8)); // a second, idle sandbox
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (difference(sandboxPids(), before).size() < 2) {
                assertTrue(System.nanoTime() < deadline, "two sandboxes never ran");
                Thread.sleep(20); // polling interval, bounded above
            }
            own.close();
            assertEquals(Set.of(), difference(sandboxPids(), before), "sandbox processes outlived close()");
            InvokeResult inFlight = busy.get(10, TimeUnit.SECONDS);
            assertEquals("Unhandled", inFlight.functionError());
            assertEquals("Runtime.ExitError", json(inFlight).get("errorType").asText());
        } finally {
            own.close();
        }
    }

    private static Set<Long> sandboxPids() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().arguments().map(args -> List.of(args).contains(FixtureFunction.HANDLER)).orElse(false))
                .map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    private static Set<Long> difference(Set<Long> a, Set<Long> b) {
        Set<Long> rest = new HashSet<>(a);
        rest.removeAll(b);
        return rest;
    }
}
