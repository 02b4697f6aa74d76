package dev.runlane.handlers;

import dev.runlane.testing.TestContext;
import org.jboss.logging.MDC;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class LogContextTest {

    @Test
    void anInvocationsIdsAreOnItsLinesAndGoneAfterIt() {
        MDC.put("runId", "left-over-from-the-last-invocation");
        try (LogContext log = LogContext.of(TestContext.of("f", Duration.ofSeconds(5))).run("r1", null).attempt(2)) {
            assertEquals("test-request", MDC.get("requestId"));
            assertEquals("r1", MDC.get("runId"));
            assertNull(MDC.get("threadId"), "an id the invocation does not know is left out");
            assertEquals("2", MDC.get("attempt"));
        }
        assertNull(MDC.get("runId"));
        assertNull(MDC.get("requestId"));
    }
}
