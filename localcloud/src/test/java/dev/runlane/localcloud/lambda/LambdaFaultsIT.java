package dev.runlane.localcloud.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.edge.Edge;
import dev.runlane.localcloud.faults.Fault;
import dev.runlane.localcloud.faults.FaultKind;
import dev.runlane.localcloud.faults.Faults;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Faults in invocations of real sandboxes: what a caller of the Lambda service sees. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LambdaFaultsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static LambdaService lambdas;
    static Faults faults;
    static Edge edge;

    @BeforeAll
    static void start() throws IOException {
        Path zip = FixtureFunction.build(dir.resolve("fixture"));
        lambdas = new LambdaService(dir.resolve("work"), 2);
        faults = lambdas.faults();
        edge = new Edge(0, lambdas, URI.create("http://127.0.0.1:9")); // nothing is forwarded here
        edge.start();
        for (String name : new String[] {"Delayed", "Killed", "Throttled", "Bystander"}) {
            lambdas.register(FixtureFunction.spec(zip, name, 10, Map.of()));
        }
    }

    @AfterAll
    static void stop() {
        lambdas.close();
        edge.close();
    }

    @AfterEach
    void clearFaults() {
        faults.clear();
    }

    private static InvokeResult invoke(String function, String event) {
        return lambdas.invoke(function, event.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode json(InvokeResult result) throws IOException {
        return JSON.readTree(result.payload());
    }

    private static long millisOf(Runnable call) {
        long start = System.nanoTime();
        call.run();
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void delayHoldsTheNextInvocationBackOnlyAndNotAgainstItsTimeout() throws IOException {
        invoke("Delayed", "warm");
        var armed = faults.add(Fault.delay("Delayed", 1, 2_000));
        InvokeResult[] delayed = new InvokeResult[1];
        long delayedMs = millisOf(() -> delayed[0] = invoke("Delayed", "late"));
        assertTrue(delayedMs >= 2_000, "took " + delayedMs + " ms");
        assertNull(delayed[0].functionError());
        assertTrue(json(delayed[0]).get("remainingMs").asLong() > 8_000, "the deadline starts when the handler gets the event");
        long nextMs = millisOf(() -> invoke("Delayed", "on time"));
        assertTrue(nextMs < 2_000, "only count invocations are delayed; the next took " + nextMs + " ms");
        assertEquals(1, armed.fired());
    }

    @Test
    void killCrashesTheInvocationAsLambdaReportsAKilledRuntime() throws IOException {
        faults.add(Fault.kill("Killed", 2, 300));
        InvokeResult[] slow = new InvokeResult[1];
        long elapsedMs = millisOf(() -> slow[0] = invoke("Killed", "sleep:20000"));
        assertEquals("Unhandled", slow[0].functionError());
        assertEquals("Runtime.ExitError", json(slow[0]).get("errorType").asText());
        assertTrue(json(slow[0]).get("errorMessage").asText().matches("RequestId: \\S+ Error: Runtime exited with error: signal: killed"),
                json(slow[0]).toString());
        assertTrue(elapsedMs < 15_000, "killed after 300 ms, not at the end of the sleep: " + elapsedMs + " ms");

        InvokeResult quick = invoke("Killed", "hello");
        assertEquals("Runtime.ExitError", json(quick).get("errorType").asText(),
                "a handler that answers before the kill loses its answer with the process");
        assertFalse(quick.logResult().contains("Init Duration"), "a replacement started when the sandbox was killed: " + quick.logResult());

        InvokeResult after = invoke("Killed", "hello");
        assertNull(after.functionError(), "the fault fired its count");
        assertFalse(after.logResult().contains("Init Duration"), after.logResult());
        assertEquals(2, faults.fired(FaultKind.KILL));
    }

    @Test
    void throttleAndSnapStartFaultsRefuseTheCallWithLambdasErrors() {
        faults.add(Fault.throttle("Throttled", 1));
        faults.add(Fault.snapStartNotReady("Throttled", 1));
        faults.add(Fault.snapStartTimeout("Throttled", 1));
        assertNull(invoke("Bystander", "hi").functionError(), "a fault naming a function leaves the others alone");
        var throttled = assertThrows(TooManyRequestsException.class, () -> invoke("Throttled", "hi"));
        assertEquals("Rate Exceeded.", throttled.getMessage());
        var notReady = assertThrows(InvokeRejectedException.class, () -> invoke("Throttled", "hi"));
        assertEquals(409, notReady.status());
        assertEquals("SnapStartNotReadyException", notReady.errorType());
        var timeout = assertThrows(InvokeRejectedException.class, () -> invoke("Throttled", "hi"));
        assertEquals(408, timeout.status());
        assertEquals("SnapStartTimeoutException", timeout.errorType());
        assertNull(invoke("Throttled", "hi").functionError());
    }

    @Test
    void aFaultWithoutAFunctionAppliesToEveryFunction() {
        faults.add(Fault.throttle(null, 2));
        assertThrows(TooManyRequestsException.class, () -> invoke("Bystander", "hi"));
        assertThrows(TooManyRequestsException.class, () -> invoke("Throttled", "hi"));
        assertNull(invoke("Bystander", "hi").functionError());
    }
}
