package dev.runlane.runs;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.runlane.domain.BusyPolicy;
import dev.runlane.domain.Run;
import dev.runlane.domain.RunStatus;
import dev.runlane.domain.Target;
import dev.runlane.gate.Gate;
import dev.runlane.testing.InMemoryPorts;
import dev.runlane.testing.MovableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The values a run shows once it has ended mean the same whoever ended it and whenever it was read. */
class RunEndValuesTest {
    private static final StartRequest ECHO = new StartRequest(Target.HOSTED, null, JsonNodeFactory.instance.objectNode());

    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-07T10:00:00Z"));
    private final InMemoryPorts ports = new InMemoryPorts();
    private final InMemoryPorts.Flow workflow = new InMemoryPorts.Flow();
    private final Finalizer finalizer = new Finalizer(ports.runs, ports.fence, ports.queue, clock);
    private final Cancellation cancellation = new Cancellation(finalizer, workflow, ports.frames, clock);
    private final RunService service = new RunService(ports.runs, ports.threads, ports.queue, cancellation, 10, clock);
    private final Gate gate = new Gate(ports.runs, ports.threads, ports.queue, workflow, finalizer, cancellation, 300, clock);

    @Test
    void anExpiredRunFinishedAtItsDeadlineNotWhenItWasRead() {
        Run busy = service.start("t", ECHO, null).run();
        gate.admit(List.of(InMemoryPorts.message("m1", busy)));
        Run expiring = service.start("t", expiringIn(60), null).run();

        clock.advance(Duration.ofMinutes(10));
        Run read = service.get(expiring.runId());
        assertEquals(RunStatus.EXPIRED, read.status());
        assertEquals(expiring.options().expiresAt(), read.finishedAt(), "ended at its deadline, not at the read 9 minutes later");
        assertEquals(clock.instant().minus(Duration.ofMinutes(9)), read.finishedAt());
    }

    @Test
    void aRunTheGateExpiresFinishedAtItsDeadlineToo() {
        Run busy = service.start("t", ECHO, null).run();
        gate.admit(List.of(InMemoryPorts.message("m1", busy)));
        Run expiring = service.start("t", expiringIn(60), null).run();
        clock.advance(Duration.ofMinutes(5));
        finalizer.finish(busy.runId(), Optional.of(Outcome.succeeded()));

        gate.admit(List.of(InMemoryPorts.message("m2", expiring)));
        Run ended = ports.runs.items.get(expiring.runId());
        assertEquals(RunStatus.EXPIRED, ended.status());
        assertEquals(expiring.options().expiresAt(), ended.finishedAt());
    }

    @Test
    void aRunEndedBeforeItsDeadlineFinishedWhenItEnded() {
        Run run = service.start("t", expiringIn(600), null).run();
        clock.advance(Duration.ofSeconds(5));
        assertEquals(clock.instant(), service.cancel(run.runId()).finishedAt());
    }

    @Test
    void aSupersededRunSaysTheSameWhetherTheStartOrTheGateEndedIt() {
        // The start ends the earlier runs itself.
        Run running = service.start("t", ECHO, null).run();
        gate.admit(List.of(InMemoryPorts.message("m1", running)));
        Run queued = service.start("t", ECHO, null).run();
        service.start("t", new StartRequest(Target.HOSTED, null, ECHO.input(), new StartOptions(BusyPolicy.CANCEL_OTHERS, null)), null);
        Run stopped = service.get(running.runId());
        Run skipped = service.get(queued.runId());

        // A start that died after recording its queue position leaves the earlier run to the gate.
        Run left = service.start("u", ECHO, null).run();
        Run later = service.start("u", ECHO, null).run();
        ports.threads.supersedeBefore("u", later.queueSeq());
        gate.admit(List.of(InMemoryPorts.message("m2", left)));
        Run byGate = ports.runs.items.get(left.runId());

        for (Run run : List.of(stopped, skipped, byGate)) {
            assertEquals(RunStatus.CANCELLED, run.status(), run.runId());
            assertEquals(Outcome.superseded().error(), run.error(), run.runId());
        }
    }

    private static StartRequest expiringIn(int seconds) {
        return new StartRequest(Target.HOSTED, null, ECHO.input(), new StartOptions(BusyPolicy.QUEUE, seconds));
    }
}
