package dev.runlane.domain;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RunStatusTest {

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @CsvSource({
            "QUEUED, RUNNING, true", "QUEUED, SUCCEEDED, true", "QUEUED, CANCELLED, true", "QUEUED, QUEUED, false",
            "RUNNING, SUCCEEDED, true", "RUNNING, FAILED, true", "RUNNING, CANCELLED, true", "RUNNING, TIMED_OUT, true",
            "RUNNING, QUEUED, false", "RUNNING, RUNNING, false",
            "SUCCEEDED, FAILED, false", "FAILED, RUNNING, false", "CANCELLED, SUCCEEDED, false", "TIMED_OUT, QUEUED, false"})
    void terminalStatusesNeverChange(RunStatus from, RunStatus to, boolean allowed) {
        assertEquals(allowed, from.canBecome(to));
        assertEquals(from != RunStatus.QUEUED && from != RunStatus.RUNNING, from.isTerminal());
    }
}
