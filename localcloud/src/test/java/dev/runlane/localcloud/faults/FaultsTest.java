package dev.runlane.localcloud.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FaultsTest {
    private final List<String> log = new ArrayList<>();
    private final Faults faults = new Faults(FaultsTest::knownFunction, log::add);

    /** Stands in for the stack: logical id or name of two functions. */
    private static String knownFunction(String given) {
        return switch (given) {
            case "A", "runlane-A" -> "runlane-A";
            case "B", "runlane-B" -> "runlane-B";
            default -> throw new InvalidFaultException("unknown function '" + given + "'");
        };
    }

    @Test
    void aFaultFiresCountTimesThenIsGoneButItsCountersRemain() {
        ArmedFault armed = faults.add(Fault.throttle("A", 2));
        assertEquals("runlane-A", armed.fault().function(), "the logical id is resolved to the function's name");
        assertTrue(faults.fire("runlane-A", FaultKind.THROTTLE).isPresent());
        assertEquals(1, armed.remaining());
        assertTrue(faults.fire("runlane-A", FaultKind.THROTTLE).isPresent());
        assertTrue(faults.fire("runlane-A", FaultKind.THROTTLE).isEmpty());
        assertEquals(0, armed.remaining());
        assertEquals(2, armed.fired());
        assertEquals(List.of(), faults.active());
        assertEquals(List.of(armed), faults.armed(), "a used-up fault stays listed");
        assertEquals(2, faults.fired(FaultKind.THROTTLE));
        assertEquals(0, faults.fired(FaultKind.DELAY));
        assertTrue(log.getFirst().startsWith("fault " + armed.id() + " fired (throttle on runlane-A, 1 left)"), log.toString());
    }

    @Test
    void aFaultFiresOnlyOnItsKindAndTargetAndWithoutATargetOnEveryFunction() {
        faults.add(Fault.throttle("A", 1));
        assertTrue(faults.fire("runlane-B", FaultKind.THROTTLE).isEmpty());
        assertTrue(faults.fire("runlane-A", FaultKind.DELAY).isEmpty());
        faults.add(Fault.kill(null, 2));
        assertTrue(faults.fire("runlane-B", FaultKind.KILL).isPresent());
        assertTrue(faults.fire("runlane-A", FaultKind.KILL).isPresent());
        assertTrue(faults.fire("runlane-A", FaultKind.THROTTLE, FaultKind.SNAP_START_NOT_READY).isPresent());
    }

    @Test
    void aCrashFiresOnlyAtItsCallOfItsFunction() {
        ArmedFault armed = faults.add(Fault.crashAfter("A", 2, 3));
        assertTrue(faults.fire("runlane-A", FaultKind.CRASH).isEmpty(), "no call number: not an AWS call of an invocation");
        assertTrue(faults.fire("runlane-A", 2, FaultKind.CRASH).isEmpty());
        assertTrue(faults.fire("runlane-B", 3, FaultKind.CRASH).isEmpty());
        assertTrue(faults.fire("runlane-A", 3, FaultKind.KILL).isEmpty());
        assertEquals(Fault.When.AFTER, faults.fire("runlane-A", 3, FaultKind.CRASH).orElseThrow().when());
        assertTrue(faults.fire("runlane-A", 3, FaultKind.CRASH).isPresent());
        assertTrue(faults.fire("runlane-A", 3, FaultKind.CRASH).isEmpty(), "count used up");
        assertEquals(2, armed.fired());
        assertTrue(log.getFirst().startsWith("fault " + armed.id() + " fired (crash on runlane-A at AWS call 3, 1 left)"), log.toString());
        faults.add(Fault.throttle("A", 1));
        assertTrue(faults.fire("runlane-A", 7, FaultKind.THROTTLE).isPresent(), "a fault without a call matches any call");
    }

    @Test
    void actionsMatchWhateverTheServicePrefixCase() {
        faults.add(Fault.awsError("DynamoDB:TransactWriteItems", 1, "TransactionConflict"));
        assertEquals("dynamodb:TransactWriteItems", faults.active().getFirst().fault().action());
        assertTrue(faults.fire("dynamodb:UpdateItem", FaultKind.AWS_ERROR).isEmpty());
        assertTrue(faults.fire("dynamodb:TransactWriteItems", FaultKind.AWS_ERROR).isPresent());
    }

    @Test
    void probabilityDecidesEachMatchingCallWhileCountRemains() {
        Iterator<Double> draws = List.of(0.9, 0.1, 0.5, 0.2).iterator();
        Faults chancy = new Faults(FaultsTest::knownFunction, line -> { }, draws::next);
        ArmedFault armed = chancy.add(Fault.delay("A", 2, 100).withProbability(0.3));
        assertTrue(chancy.fire("runlane-A", FaultKind.DELAY).isEmpty(), "0.9 is not below 0.3");
        assertTrue(chancy.fire("runlane-A", FaultKind.DELAY).isPresent(), "0.1 is");
        assertTrue(chancy.fire("runlane-A", FaultKind.DELAY).isEmpty());
        assertTrue(chancy.fire("runlane-A", FaultKind.DELAY).isPresent());
        assertEquals(2, armed.fired());
        assertEquals(0, armed.remaining());
    }

    @Test
    void concurrentCallsFireAFaultExactlyCountTimes() throws Exception {
        ArmedFault armed = faults.add(Fault.dropStatusEvents(25));
        AtomicInteger fired = new AtomicInteger();
        Callable<Void> caller = () -> {
            for (int i = 0; i < 50; i++) {
                faults.fire("rule", FaultKind.DROP_STATUS_EVENTS).ifPresent(f -> fired.incrementAndGet());
            }
            return null;
        };
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (Future<Void> f : pool.invokeAll(List.of(caller, caller, caller, caller, caller, caller, caller, caller))) {
                f.get();
            }
        }
        assertEquals(25, fired.get());
        assertEquals(25, armed.fired());
        assertEquals(25, faults.fired(FaultKind.DROP_STATUS_EVENTS));
    }

    @Test
    void removeAndClear() {
        ArmedFault a = faults.add(Fault.throttle("A", 1));
        ArmedFault b = faults.add(Fault.throttle("B", 1));
        assertTrue(faults.remove(a.id()));
        assertFalse(faults.remove(a.id()));
        assertEquals(List.of(b), faults.active());
        faults.fire("runlane-B", FaultKind.THROTTLE);
        faults.add(Fault.throttle("B", 1));
        faults.clear();
        assertEquals(List.of(), faults.armed());
        assertEquals(0, faults.fired(FaultKind.THROTTLE), "clear resets the totals");
    }

    @Test
    void anUnknownFunctionArmsNothing() {
        var e = assertThrows(InvalidFaultException.class, () -> faults.add(List.of(Fault.throttle("A", 1), Fault.throttle("Nope", 1))));
        assertTrue(e.getMessage().contains("Nope"), e.getMessage());
        assertEquals(List.of(), faults.active(), "all or nothing");
    }

    @Test
    void jsonTakesOneFaultAnArrayOrAFaultsObjectWithDefaults() {
        List<Fault> one = FaultJson.parse("""
                {"kind":"delay","function":"HostedDispatchFunction","count":1,"delayMs":15000}""");
        assertEquals(List.of(Fault.delay("HostedDispatchFunction", 1, 15000)), one);
        List<Fault> list = FaultJson.parse("""
                {"faults":[{"kind":"kill","function":"A"},
                           {"kind":"throttle","count":3,"probability":0.5},
                           {"kind":"snapStartNotReady","function":"B"},
                           {"kind":"snapStartTimeout","function":"B"},
                           {"kind":"awsError","action":"states:StartExecution","code":"ServiceUnavailable","message":"try later"},
                           {"kind":"dropStatusEvents","count":2}]}""");
        assertEquals(List.of(Fault.kill("A", 1, 200), Fault.throttle(null, 3).withProbability(0.5), Fault.snapStartNotReady("B", 1),
                Fault.snapStartTimeout("B", 1), Fault.awsError("states:StartExecution", 1, "ServiceUnavailable").withMessage("try later"),
                Fault.dropStatusEvents(2)), list);
        assertEquals(503, list.get(4).status(), "a server error's usual status");
        assertEquals(400, Fault.awsError("dynamodb:UpdateItem", 1, "ThrottlingException").status());
        assertEquals(2, FaultJson.parse("[{\"kind\":\"throttle\"},{\"kind\":\"dropStatusEvents\"}]").size());
    }

    @Test
    void jsonTakesACrashAtACallBeforeByDefault() {
        assertEquals(List.of(Fault.crashBefore("ApiFunction", 1, 3), Fault.crashBefore("A", 2, 1),
                        Fault.crashAfter(null, 1, 2).withProbability(0.5)),
                FaultJson.parse("""
                        [{"kind":"crash","function":"ApiFunction","call":3},
                         {"kind":"crash","function":"A","call":1,"when":"before","count":2},
                         {"kind":"crash","call":2,"when":"after","probability":0.5}]"""));
        assertRejected("{\"kind\":\"crash\",\"function\":\"A\"}", "crash needs call");
        assertRejected("{\"kind\":\"crash\",\"call\":0}", "at least 1, not 0");
        assertRejected("{\"kind\":\"crash\",\"call\":1,\"when\":\"during\"}", "when must be \"before\" or \"after\"");
        assertRejected("{\"kind\":\"crash\",\"call\":1,\"when\":true}", "when must be a non-empty string");
        assertRejected("{\"kind\":\"crash\",\"call\":1,\"afterMs\":5}", "crash does not take 'afterMs'");
        assertRejected("{\"kind\":\"kill\",\"call\":1}", "kill does not take 'call'");
    }

    @Test
    void jsonRejectsWhatWouldSilentlyDoNothingOrSomethingElse() {
        assertRejected("{\"kind\":\"delay\",\"function\":\"A\",\"delay_ms\":100}", "delay does not take 'delay_ms'");
        assertRejected("{\"kind\":\"throttle\",\"action\":\"dynamodb:PutItem\"}", "throttle does not take 'action'");
        assertRejected("{\"kind\":\"slow\"}", "unknown kind 'slow'");
        assertRejected("{\"function\":\"A\"}", "kind is missing");
        assertRejected("{\"kind\":\"delay\",\"function\":\"A\"}", "delay needs delayMs above 0");
        assertRejected("{\"kind\":\"throttle\",\"count\":0}", "count must be at least 1");
        assertRejected("{\"kind\":\"throttle\",\"count\":\"2\"}", "count must be a whole number");
        assertRejected("{\"kind\":\"throttle\",\"probability\":1.5}", "probability must be between 0 and 1");
        assertRejected("{\"kind\":\"awsError\",\"action\":\"dynamodb:PutItem\"}", "awsError needs a code");
        assertRejected("{\"kind\":\"awsError\",\"action\":\"PutItem\",\"code\":\"X\"}", "as service:Action");
        assertRejected("{\"kind\":\"awsError\",\"action\":\"lambda:Invoke\",\"code\":\"X\"}", "for Lambda use throttle");
        assertRejected("{\"kind\":\"awsError\",\"action\":\"sqs:SendMessage\",\"code\":\"X\",\"status\":200}", "400-599");
        assertRejected("[{\"kind\":\"throttle\"},{\"kind\":\"kill\",\"afterMs\":-1}]", "fault 2: delayMs and afterMs cannot be negative");
        assertRejected("{\"kind\":", "not JSON");
        assertRejected("42", "expected a fault object");
    }

    private static void assertRejected(String json, String reason) {
        var e = assertThrows(InvalidFaultException.class, () -> FaultJson.parse(json), json);
        assertTrue(e.getMessage().contains(reason), json + " -> " + e.getMessage());
    }

    @Test
    void renderingShowsOnlyTheKindsFieldsAndTheCounters() {
        ArmedFault armed = faults.add(Fault.awsError("sqs:ChangeMessageVisibility", 2, "ReceiptHandleIsInvalid"));
        faults.fire("sqs:ChangeMessageVisibility", FaultKind.AWS_ERROR);
        var json = FaultJson.render(armed);
        assertEquals("awsError", json.get("kind").asText());
        assertEquals("sqs:ChangeMessageVisibility", json.get("action").asText());
        assertEquals(400, json.get("status").asInt());
        assertEquals(1, json.get("remaining").asInt());
        assertEquals(1, json.get("fired").asInt());
        assertNull(json.get("delayMs"));
        assertNull(json.get("function"));
        assertNull(json.get("call"));

        var crash = FaultJson.render(faults.add(FaultJson.parse("{\"kind\":\"crash\",\"function\":\"A\",\"call\":4}").getFirst()));
        assertEquals(List.of("crash", "runlane-A", "4", "before"),
                List.of(crash.get("kind").asText(), crash.get("function").asText(), crash.get("call").asText(), crash.get("when").asText()));
        assertEquals("after", FaultJson.render(faults.add(Fault.crashAfter("B", 1, 1))).get("when").asText());
    }
}
