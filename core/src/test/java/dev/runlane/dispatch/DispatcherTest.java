package dev.runlane.dispatch;

import dev.runlane.agent.Agents;
import dev.runlane.agent.FatalAgentException;
import dev.runlane.agent.RetryableAgentException;
import dev.runlane.domain.Fence;
import dev.runlane.domain.Frame;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunError;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.RunEvent;
import dev.runlane.domain.StaleAttemptException;
import dev.runlane.domain.Target;
import dev.runlane.testing.InMemoryPorts;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A hosted attempt that fails records its error as its last event, so that a retried run shows why. */
class DispatcherTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

    private final InMemoryPorts ports = new InMemoryPorts();
    private final Dispatcher dispatcher = new Dispatcher(ports.fence, ports.runs, ports.daemons, Agents.load(Agents.ECHO), 60, Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void aFailedAttemptRecordsItsErrorAndTheRetryGoesOn() throws Exception {
        run("r1", "{\"agent\":\"simulated\",\"durationMs\":20,\"progressMs\":10,\"failFirstAttempts\":1}");

        assertThrows(RetryableAgentException.class, () -> dispatcher.runHosted("r1", "t", 1, () -> Duration.ofMinutes(1)),
                "the agent's error is what the attempt ends with");
        assertEquals(List.of(new RunEvent("r1", 1, 1, NOW, "error",
                        "{\"code\":\"RetryableAgentException\",\"message\":\"simulated retryable error on attempt 1\"}")),
                ports.fence.events);

        dispatcher.runHosted("r1", "t", 2, () -> Duration.ofMinutes(1));
        List<RunEvent> second = ports.fence.events.subList(1, ports.fence.events.size());
        assertEquals(List.of("progress"), second.stream().map(RunEvent::type).distinct().toList(), second.toString());
        second.forEach(e -> assertEquals(2, e.attempt()));
    }

    @Test
    void aFatalErrorIsRecordedToo() {
        run("r2", "{\"agent\":\"simulated\",\"fatal\":true}");
        assertThrows(FatalAgentException.class, () -> dispatcher.runHosted("r2", "t", 1, () -> Duration.ofMinutes(1)));
        assertEquals(List.of("{\"code\":\"FatalAgentException\",\"message\":\"simulated fatal error\"}"),
                ports.fence.events.stream().map(RunEvent::data).toList());
    }

    @Test
    void anAttemptFencedOutRecordsNothingAndStaysStale() {
        run("r3", "{\"agent\":\"simulated\",\"durationMs\":1000,\"progressMs\":10}");
        // A newer attempt of the run takes the thread's token as this one's agent starts writing.
        InMemoryPorts.Fences fence = ports.fence;
        Fence racingFence = new Fence() {
            @Override public long acquire(String threadId, String runId, int attempt, Instant at) {
                return fence.acquire(threadId, runId, attempt, at);
            }
            @Override public boolean end(String threadId, String runId, RunStatus status, RunError error, Instant at, boolean onlyIfQueued) {
                return fence.end(threadId, runId, status, error, at, onlyIfQueued);
            }
            @Override public void append(String threadId, RunEvent event) {
                fence.acquire(threadId, event.runId(), event.attempt() + 1, NOW);
                fence.append(threadId, event);
            }
            @Override public void recordOutput(String threadId, String runId, long token, String output) {
                fence.recordOutput(threadId, runId, token, output);
            }
            @Override public void sendStart(String threadId, Frame start, String taskToken) { fence.sendStart(threadId, start, taskToken); }
            @Override public void confirm(String threadId, String runId, long token) { fence.confirm(threadId, runId, token); }
            @Override public String epoch() { return fence.epoch(); }
        };
        Dispatcher racing = new Dispatcher(racingFence, ports.runs, ports.daemons, Agents.load(Agents.ECHO), 60, Clock.fixed(NOW, ZoneOffset.UTC));
        assertThrows(StaleAttemptException.class, () -> racing.runHosted("r3", "t", 1, () -> Duration.ofMinutes(1)));
        assertEquals(List.of(), fence.events, "neither its progress nor an error");
    }

    private void run(String runId, String input) {
        ports.runs.create(Run.queued(runId, "t", Target.HOSTED, null, "h", NOW), 10);
        ports.runs.storeInput(runId, input, NOW);
    }
}
