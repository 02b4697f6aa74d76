package dev.runlane.runs;

import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Target;
import dev.runlane.testing.InMemoryPorts;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FinalizerTest {
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    private final InMemoryPorts ports = new InMemoryPorts();
    private final Finalizer finalizer = new Finalizer(ports.runs, ports.fence, ports.queue, Clock.fixed(NOW, ZoneOffset.UTC));

    /** A queued-only end (expiry, thread cancel of the queued runs) that lost the race to the gate. */
    @Test
    void aQueuedOnlyFinishLeavesARunAdmittedMeanwhileRunning() {
        ports.runs.put(Run.queued("r1", "t", Target.HOSTED, null, "h", NOW));
        ports.runs.markRunning("r1", "arn:r1", "receipt-1", "0001");
        long token = ports.fence.acquire("t", "r1", 1, NOW);

        Finalizer.Finished finished = finalizer.end("r1", Optional.of(Outcome.expired()), true);

        assertFalse(finished.endedNow());
        assertEquals(RunStatus.RUNNING, ports.runs.items.get("r1").status());
        ports.fence.confirm("t", "r1", token); // throws if the attempt was fenced out
        assertNull(ports.queue.visibility.get("receipt-1"), "its thread is not released");
        assertTrue(ports.queue.done.isEmpty(), "nor its message deleted");
    }

    @Test
    void anEndedRunsMessageIsDeletedSoItsThreadsNextRunIsDeliveredAtOnce() {
        ports.runs.put(Run.queued("r1", "t", Target.HOSTED, null, "h", NOW));
        ports.runs.markRunning("r1", "arn:r1", "receipt-1", "0001");

        assertTrue(finalizer.finish("r1", Optional.of(Outcome.succeeded())).endedNow());
        assertEquals(java.util.List.of("receipt-1"), ports.queue.done);
        finalizer.finish("r1", Optional.of(Outcome.succeeded()));
        assertEquals(java.util.List.of("receipt-1", "receipt-1"), ports.queue.done, "a repeat deletes again: harmless");
    }

    @Test
    void aQueuedOnlyFinishEndsAQueuedRun() {
        ports.runs.put(Run.queued("r1", "t", Target.HOSTED, null, "h", NOW));

        assertTrue(finalizer.end("r1", Optional.of(Outcome.expired()), true).endedNow());
        assertEquals(RunStatus.EXPIRED, ports.runs.items.get("r1").status());
        assertFalse(finalizer.end("r1", Optional.of(Outcome.expired()), true).endedNow(), "once");
    }
}
