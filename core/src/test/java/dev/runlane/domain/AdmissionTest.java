package dev.runlane.domain;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AdmissionTest {
    private static final Instant CREATED = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant NOW = CREATED.plusSeconds(60);

    @ParameterizedTest(name = "deadline {0}, paused {1}, superseded before {2} → {3}")
    @CsvSource(nullValues = "-", value = {
            // deadline (s after NOW), paused, supersededBefore, decision for a run at position 0005
            "-,   false, -,    START",
            "10,  false, -,    START",
            "0,   false, -,    EXPIRE",
            "-10, false, -,    EXPIRE",
            "-10, true,  0009, EXPIRE",
            "-,   false, 0009, SUPERSEDE",
            "-,   true,  0009, SUPERSEDE",
            "-,   false, 0005, START",
            "-,   false, 0004, START",
            "-,   true,  -,    HOLD_PAUSED",
            "10,  true,  0005, HOLD_PAUSED",
    })
    void aQueuedHeadIsStartedExpiredSupersededOrHeld(Integer deadline, boolean paused, String supersededBefore,
                                                    Admission.Decision expected) {
        Run run = queued(new RunOptions(BusyPolicy.QUEUE, deadline == null ? null : NOW.plusSeconds(deadline), null));
        ThreadState thread = new ThreadState("t", paused, paused ? CREATED : null, null, supersededBefore, null, null, null, null);
        assertEquals(expected, Admission.decide(run, "0005", thread, NOW));
    }

    /** A cancel of the thread's queue cancels every run created up to it, even one its listing did not show. */
    @ParameterizedTest(name = "cancelled {0} s after the run was created, deadline {1}, paused {2} → {3}")
    @CsvSource(nullValues = "-", value = {
            "0,   -,   false, CANCEL",
            "5,   -,   true,  CANCEL",
            "-1,  -,   false, START",
            "-1,  -,   true,  HOLD_PAUSED",
            "5,   -10, false, EXPIRE",
    })
    void aRunCreatedBeforeAThreadCancelIsCancelled(int cancelledAfter, Integer deadline, boolean paused, Admission.Decision expected) {
        Run run = queued(new RunOptions(BusyPolicy.QUEUE, deadline == null ? null : NOW.plusSeconds(deadline), null));
        ThreadState thread = new ThreadState("t", paused, null, null, null, null, null, null, CREATED.plusSeconds(cancelledAfter));
        assertEquals(expected, Admission.decide(run, "0005", thread, NOW));
    }

    /**
     * Earlier runs, newest first, as "status/finished (s after the run's creation; - none)/admitted[/deadline]".
     * Expected: busy, idle, or undecided (read the next page).
     */
    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = '|', value = {
            "                                          | undecided",
            "SUCCEEDED/-5/admitted                     | idle",
            "SUCCEEDED/5/admitted                      | busy",
            "SUCCEEDED/0/admitted                      | idle",
            "RUNNING/-/admitted                        | busy",
            "QUEUED/-/never                            | busy",
            "CANCELLED/-5/never                        | undecided",
            "CANCELLED/-5/never,SUCCEEDED/-9/admitted  | idle",
            "CANCELLED/-5/never,FAILED/3/admitted      | busy",
            "EXPIRED/2/never,SUCCEEDED/-9/admitted     | busy",
            "REJECTED/-1/never,REJECTED/-2/never       | undecided",
            "SUCCEEDED/-1/admitted,SUCCEEDED/9/admitted| idle",
            // queued past its deadline when the run was created (deadline -1 s), ended EXPIRED later: not busy
            "EXPIRED/5/never/-1,SUCCEEDED/-9/admitted  | idle",
            "EXPIRED/5/never/1,SUCCEEDED/-9/admitted   | busy",
    })
    void aRejectRunWasBusyIfAnEarlierRunEndedAfterItWasCreated(String earlier, String expected) {
        List<Run> runs = new ArrayList<>();
        if (earlier != null) {
            for (String spec : earlier.split(",")) {
                String[] part = spec.trim().split("/");
                Instant finished = part[1].equals("-") ? null : CREATED.plusSeconds(Integer.parseInt(part[1]));
                Instant deadline = part.length > 3 ? CREATED.plusSeconds(Integer.parseInt(part[3])) : null;
                runs.add(new Run("e" + runs.size(), "t", Target.HOSTED, null, RunStatus.valueOf(part[0]), 1, null,
                        part[2].equals("admitted") ? "arn:e" : null, null, CREATED.minusSeconds(60), null, finished,
                        "000" + runs.size(), null, "h", 0, null, new RunOptions(BusyPolicy.QUEUE, deadline, null)));
            }
        }
        Optional<Boolean> busy = Admission.busyAtEnqueue(queued(RunOptions.NONE), runs);
        assertEquals(expected, busy.map(b -> b ? "busy" : "idle").orElse("undecided"));
    }

    private static Run queued(RunOptions options) {
        return Run.queued("r", "t", Target.HOSTED, null, "h", options, CREATED);
    }
}
