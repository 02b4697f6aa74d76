package dev.runlane.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import org.junit.jupiter.api.Assumptions;

/**
 * The local cloud's fault injection, through its admin API on the AWS edge ({@code /_runlane/faults}),
 * as a user of {@code ./runlane local} drives it. A stack without it (a deployed one) skips the
 * chaos scenarios.
 */
final class Faults {
    private final Api edge;

    Faults(URI awsEndpoint) {
        Assumptions.assumeTrue(awsEndpoint != null, "the stack has no fault injection (no AWS endpoint: the SDK's own endpoints)");
        this.edge = new Api(awsEndpoint);
        Api.Response probe = edge.get("/_runlane/faults");
        Assumptions.assumeTrue(probe.status() == 200, "the stack has no fault injection (/_runlane/faults: " + probe + ")");
    }

    /** Arms one fault, e.g. {@code {"kind":"kill","function":"HostedDispatchFunction","count":1}}. */
    Faults add(ObjectNode fault) {
        Api.Response added = edge.post("/_runlane/faults", "application/json", fault.toString().getBytes());
        if (added.status() != 201) {
            throw new AssertionError("fault not armed: " + added);
        }
        return this;
    }

    static ObjectNode fault(String kind, String functionOrAction, int count) {
        ObjectNode fault = Api.JSON.createObjectNode().put("kind", kind).put("count", count);
        if (functionOrAction != null) {
            fault.put(kind.equals("awsError") ? "action" : "function", functionOrAction);
        }
        return fault;
    }

    /** Waits (bounded) until no invocation of the function is running, per {@code /_runlane/invocations}. */
    void awaitIdle(String function) {
        Poll.until(java.time.Duration.ofSeconds(30), function + " has no invocation running",
                () -> edge.get("/_runlane/invocations?function=" + function + "&last=20").body(),
                listing -> listing.path("invocations").findValuesAsText("state").stream().noneMatch("running"::equals));
    }

    /** How many times faults of a kind fired since the scenario began. */
    int fired(String kind) {
        return list().path("fired").path(kind).asInt();
    }

    JsonNode list() {
        return edge.get("/_runlane/faults").body();
    }

    void clear() {
        edge.send(edge.request("/_runlane/faults").DELETE());
    }

    /** A fault's JSON for the report lines of a scenario. */
    @Override
    public String toString() {
        return list().toString();
    }
}
