package dev.runlane.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.domain.RefusedException;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunPayloads;
import dev.runlane.domain.Target;
import dev.runlane.testing.InMemoryPorts;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The input limits that every later answer carrying an input fits with room (issue 18, item 2): an input
 * nested deeper than {@link Json#MAX_DEPTH}, or longer than {@link StartRequest#MAX_INPUT_BYTES} as stored,
 * is refused at start and at rerun, and nothing is stored or enqueued.
 */
class InputLimitsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InMemoryPorts ports = new InMemoryPorts();
    private final RunService service = new RunService(ports.runs, ports.threads, ports.queue,
            new Cancellation(new Finalizer(ports.runs, ports.fence, ports.queue, Clock.systemUTC()), ports.workflow, ports.frames,
                    Clock.systemUTC()), 1000, Clock.systemUTC());

    /** An object nested {@code depth} deep: {"a":{"a":…{"a":1}…}}. */
    static String nested(int depth) {
        return "{\"a\":".repeat(depth - 1) + "{\"a\":1}" + "}".repeat(depth - 1);
    }

    @Test
    void depthCountsContainersFromTheValueItself() throws Exception {
        assertEquals(0, Json.depth(JSON.readTree("1")));
        assertEquals(1, Json.depth(JSON.readTree("{}")));
        assertEquals(2, Json.depth(JSON.readTree("{\"a\":[1],\"b\":2}")));
        assertEquals(64, Json.depth(JSON.readTree(nested(64))));
        assertEquals(64, Json.depth(nested(64)), "the same count from the stored text");
        assertEquals(4, Json.depth("[[],{\"x\":[{}]}]"));
    }

    /** The review's finding: an input 999 deep (the body 1000, as deep as Jackson reads) was accepted. */
    @Test
    void anInputDeeperThanTheLimitIsRefusedAtStart() throws Exception {
        JsonNode deep = JSON.readTree("{\"target\":\"hosted\",\"input\":" + nested(999) + "}");
        RefusedException refused = assertThrows(RefusedException.class, () -> StartRequest.of(deep));
        assertEquals(RefusedException.Kind.INVALID, refused.kind());
        assertEquals("NestingTooDeep", refused.code());
        assertTrue(refused.getMessage().contains("999") && refused.getMessage().contains("64"), refused.getMessage());

        RefusedException justOver = assertThrows(RefusedException.class, () -> StartRequest.of(
                JSON.readTree("{\"target\":\"desktop\",\"daemonId\":\"d1\",\"input\":" + nested(Json.MAX_DEPTH + 1) + "}")));
        assertEquals("NestingTooDeep", justOver.code());

        StartRequest atTheLimit = StartRequest.of(JSON.readTree("{\"target\":\"hosted\",\"input\":" + nested(Json.MAX_DEPTH) + "}"));
        assertEquals(Json.MAX_DEPTH, Json.depth(atTheLimit.input()));
        assertTrue(service.start("t1", atTheLimit, null).created());
    }

    /** A body within its limit whose numbers grow when stored in canonical form (1e1 → 1E+1) is refused, not stored. */
    @Test
    void anInputLongerAsStoredThanTheLimitIsRefusedWith413() throws Exception {
        StringBuilder numbers = new StringBuilder("{\"target\":\"hosted\",\"input\":{\"n\":[1e1");
        while (numbers.length() < StartRequest.MAX_BODY_BYTES - 10) {
            numbers.append(",1e1");
        }
        String body = numbers.append("]}}").toString();
        assertTrue(body.getBytes(StandardCharsets.UTF_8).length <= StartRequest.MAX_BODY_BYTES);
        StartRequest request = StartRequest.of(Json.MAPPER.readTree(body)); // as the API reads it: exact decimals
        RefusedException refused = assertThrows(RefusedException.class, () -> service.start("t2", request, null));
        assertEquals(RefusedException.Kind.TOO_LARGE, refused.kind());
        assertEquals("InputTooLarge", refused.code());
        assertTrue(ports.runs.items.isEmpty() && ports.queue.enqueued.isEmpty(), "nothing stored or enqueued");
        assertTrue(StartRequest.MAX_INPUT_BYTES <= RunPayloads.MAX_OUTPUT_BYTES, "the echo of the largest input fits an output");
    }

    /** A run stored before the limits (or by other means) is not rerun with its input: the rerun is refused as a start. */
    @Test
    void aRerunOfAnInputBeyondTheLimitsIsRefused() {
        Run original = ports.runs.put(Run.queued("r-deep", "t3", Target.HOSTED, null, "hash", Instant.now()));
        ports.runs.storeInput(original.runId(), nested(999), Instant.now());
        RefusedException refused = assertThrows(RefusedException.class, () -> service.rerun("r-deep", StartOptions.DEFAULT, null));
        assertEquals("NestingTooDeep", refused.code());
        assertTrue(ports.queue.enqueued.isEmpty(), "nothing enqueued");
        assertEquals(1, ports.runs.items.size(), "no new run");
    }
}
