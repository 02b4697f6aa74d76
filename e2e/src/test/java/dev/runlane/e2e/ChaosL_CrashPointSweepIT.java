package dev.runlane.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.AssertionFailedError;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;

/**
 * Chaos l. The crash-point sweep that DESIGN.md's "Crash consistency" asks for: every operation is crashed
 * (the local cloud's {@code crash} fault: its function's sandbox SIGKILLed) just before and just after each of
 * its AWS calls, then retried as its client would (the same request again, with the same Idempotency-Key; a
 * daemon's report again), or left to the platform (gate, finalize, reaper, hosted and desktop dispatch: SQS
 * redelivery, Step Functions' Retry or Catch, the gate's hold re-check). Then, per case: no orphan run, no stuck
 * thread (a probe run succeeds in bound), no two runs of the thread overlapping or out of queue order, and the
 * operation's documented end state.
 *
 * <p>How: each {@link Operation} is calibrated once without faults (its invocation's N calls, read from
 * {@code /_runlane/invocations}), then its 2N cases run back to back (preconditions set up a few at a time with
 * no fault armed; then arm, perform, wait until the crash fired or the operation ended without reaching the
 * call, clear, retry) without waiting for each to recover, and only then are all of them checked, together.
 * A crash fault strikes the first invocation of its function that reaches the call, so nothing else may invoke
 * that function while it is armed: operations run one after another, each checked before the next is armed.
 *
 * <p>The table (operation x call x before/after -> outcome) is printed as {@code [sweep]} lines and written to
 * {@code e2e/target/crash-sweep.md}; every failing case is collected and the test fails once, with the table.
 * It runs with the rest of the suite ({@code ./runlane test}); {@code -Drunlane.sweep.operations=cancel,pause} sweeps
 * only the operations whose names contain one of those words.
 *
 * <p>Desktop runs: a desktop dispatch is crashed with the run's daemon away (the run must end FAILED, its dispatch never
 * replayed, and its start frame never given to the daemon once it ended), and a daemon's {@code succeeded} and
 * {@code failed} reports are crashed and sent again, as a daemon repeats a report it got no answer to (the run must end
 * once, as reported). The daemon is the test itself, over HTTP ({@link TestDaemon}), so that nothing but the case
 * invokes the crashed function.
 */
class ChaosL_CrashPointSweepIT extends ChaosScenario {
    static final String API_FUNCTION = "ApiFunction";
    static final String DAEMON_API = "DaemonApiFunction";
    static final String GATE = "GateFunction";
    static final String REAPER = "ReaperFunction";

    /** The queue's VisibilityTimeout (template.yaml): when the gate itself dies, SQS redelivers its message after it. */
    static final Duration VISIBILITY_TIMEOUT = Duration.ofSeconds(180);
    /**
     * Room for the work a probe run itself needs on a loaded 2-core machine (gate, execution, attempt, finalize;
     * every probe of an operation at once, cold sandboxes after the kills), beyond the wait its thread may owe.
     */
    static final Duration PROBE_MARGIN = Duration.ofSeconds(50);
    /**
     * The probe bound of every crash outside the gate: a head message whose run's end a crash left unrecorded
     * or unreleased is re-checked by the gate within one hold (HoldSeconds), and everything else the platform
     * retries at once (Step Functions' Retry) or the client's retry finishes.
     */
    static final Duration HOLD_BOUND = Duration.ofSeconds(E2eStack.HOLD_SECONDS).plus(PROBE_MARGIN);
    /** The probe bound of a crash in the gate: its message comes back only when the visibility timeout ends. */
    static final Duration REDELIVERY_BOUND = VISIBILITY_TIMEOUT.plus(PROBE_MARGIN);
    /** How long a case's runs may take to settle once its probe has succeeded (a fenced attempt, a stopped execution). */
    static final Duration SETTLE_BOUND = Duration.ofSeconds(30);
    /** Calibrations of each operation, run at once: the longest path they take is swept. */
    static final int CALIBRATIONS = 2;
    /** Cases whose preconditions are set up at once, before they are crashed one after another. */
    static final int CHUNK = 4;
    /**
     * Probe runs started together, each wave awaited before the next: a probe shows whether its thread moves on, and 38
     * probes at once (a thread cancel's cases) measured the machine instead (with two CPU hogs, moto answered the probes'
     * attempts so slowly that they timed out, no-fault cases too). The gate's probes, which wait for the visibility
     * timeout, all start at once.
     */
    static final int PROBE_WAVE = 8;
    /**
     * A run that is RUNNING through a whole sweep chunk and writes nothing during its attempt (a long model
     * call): only a StopExecution ends its execution promptly, so a cancel that never stopped it shows, as its
     * execution ending FAILED (its next attempt refused by the fence) instead of ABORTED.
     */
    static final ObjectNode LONG_RUN = Api.simulated(30_000, 30_000);
    /** How Step Functions names a dispatch Lambda that died (the local cloud; AWS). */
    static final Set<String> CRASHED = Set.of("Runtime.ExitError", "Lambda.Unknown");

    // ------------------------------------------------------------------ the operations

    /** Who repeats an operation after the crash: its client (the same request again) or the platform itself. */
    enum RetriedBy { CLIENT, PLATFORM }

    @FunctionalInterface
    interface Step {
        void run(Case c) throws Exception;
    }

    @FunctionalInterface
    interface Perform {
        /** The operation; its answer (an API request), or null when it is the platform's to do. */
        Api.Response perform(Case c) throws Exception;
    }

    static final Step NOTHING = c -> { };

    /**
     * One operation of the sweep.
     *
     * @param function           the function whose sandbox the crash kills (logical id)
     * @param setup              the precondition, on the case's fresh thread, with no fault armed
     * @param perform            the operation: an API request (repeated as the client's retry), or what makes the
     *                           platform run it (a run started, an execution stopped)
     * @param servedBy           which of the function's invocations served the operation, by its calls (calibration)
     * @param probeBound         how long the thread's probe run may take to succeed after the case
     * @param settleBetweenCases wait for the previous case's run to end before arming the next crash: Step
     *                           Functions retries a struck invocation within seconds, and the next crash must
     *                           strike the next case, not that retry
     * @param beforeProbe        checks that must hold before the probe runs, and undoing what blocks it by design
     *                           (a paused thread)
     * @param expect             the documented end state after the client's retry, once the probe succeeded
     * @param checkedLater       its cases recover only after the queue's visibility timeout: they are crashed first
     *                           and checked after the client operations, which meanwhile arm only ApiFunction and
     *                           DaemonApiFunction (which nothing in this operation's recovery calls)
     * @param setUpAtOnce        how many cases' preconditions are set up together before they are crashed in turn
     */
    record Operation(String name, String function, RetriedBy retriedBy, Step setup, Perform perform,
                     Predicate<List<String>> servedBy, Duration probeBound, boolean settleBetweenCases,
                     Step beforeProbe, Step expect, boolean checkedLater, int setUpAtOnce) {

        /** An API operation: ApiFunction crashed, the same request sent again. */
        static Operation client(String name, Step setup, Perform perform, Step beforeProbe, Step expect) {
            return new Operation(name, API_FUNCTION, RetriedBy.CLIENT, setup, perform, calls -> true, HOLD_BOUND, false,
                    beforeProbe, expect, false, CHUNK);
        }

        /**
         * A daemon's report on its desktop run (the case's {@code target}, taken by {@link #takeDesktopRun}): DaemonApiFunction
         * crashed, the same report sent again, as a daemon repeats a report it got no answer to. Each case is set up just
         * before its crash, so that its pre-start heartbeat is the run's last report when the crash strikes, well inside
         * the stack's heartbeat window.
         */
        static Operation daemon(String name, Perform perform, Step expect) {
            return new Operation(name, DAEMON_API, RetriedBy.CLIENT, ChaosL_CrashPointSweepIT::takeDesktopRun, perform,
                    calls -> true, HOLD_BOUND, false, NOTHING, expect, false, 1);
        }

        /** A platform operation on the run named {@code target} of the case: the platform retries it. */
        static Operation platform(String name, String function, Step setup, Perform perform, Predicate<List<String>> servedBy,
                                  Duration probeBound, boolean settleBetweenCases, boolean checkedLater, Step expect) {
            return new Operation(name, function, RetriedBy.PLATFORM, setup, perform, servedBy, probeBound,
                    settleBetweenCases, NOTHING, expect, checkedLater, CHUNK);
        }

        /**
         * Each case set up just before its crash: its precondition's running run is then in the first seconds of its
         * attempt, so an execution the operation fails to stop is still running when the client's retry is answered
         * (set up a chunk ahead, the attempt could time out, and the execution end by itself, before that).
         */
        Operation setUpEach() {
            return new Operation(name, function, retriedBy, setup, perform, servedBy, probeBound, settleBetweenCases,
                    beforeProbe, expect, checkedLater, 1);
        }
    }

    private List<Operation> operations() {
        return List.of(
                Operation.client("start queue",
                        c -> c.start("ahead", Api.echo("ahead")),
                        c -> c.recordRun("started", api.start(c.thread, onBusy(Api.echo("queued"), "queue"), c.key)),
                        NOTHING,
                        c -> {
                            c.requireAnswer(200, 202);
                            c.requireStatus("ahead", "SUCCEEDED");
                            c.requireStatus("started", "SUCCEEDED");
                        }),
                Operation.client("start reject (idle thread)",
                        NOTHING,
                        c -> c.recordRun("started", api.start(c.thread, onBusy(Api.echo("idle"), "reject"), c.key)),
                        NOTHING,
                        c -> {
                            c.requireAnswer(200, 202);
                            c.requireStatus("started", "SUCCEEDED");
                        }),
                Operation.client("start cancel-others",
                        c -> {
                            c.start("running", LONG_RUN);
                            c.start("queued", Api.echo("superseded while queued"));
                            c.awaitAttempt("running");
                        },
                        c -> c.recordRun("started", api.start(c.thread, onBusy(Api.echo("supersedes"), "cancel-others"), c.key)),
                        NOTHING,
                        c -> {
                            c.requireAnswer(200, 202);
                            c.requireStatus("started", "SUCCEEDED");
                            c.requireEnded("running", "CANCELLED", "Superseded");
                            c.requireEnded("queued", "CANCELLED", "Superseded");
                            c.requireStopped("running");
                        }).setUpEach(),
                Operation.client("cancel running run",
                        c -> {
                            c.start("running", LONG_RUN);
                            c.awaitAttempt("running");
                        },
                        c -> api.cancel(c.runs.get("running")),
                        NOTHING,
                        c -> {
                            c.requireAnswer(200);
                            c.require("CANCELLED".equals(c.answer().body().path("status").asText()),
                                    "the cancel's answer shows the run CANCELLED: " + c.answer());
                            c.requireStatus("running", "CANCELLED");
                            c.requireStopped("running");
                        }).setUpEach(),
                Operation.client("thread cancel (all)",
                        c -> {
                            c.start("running", LONG_RUN);
                            c.start("queued 1", Api.echo("queued 1"));
                            c.start("queued 2", Api.echo("queued 2"));
                            c.awaitAttempt("running");
                        },
                        c -> api.cancelThread(c.thread, "all"),
                        NOTHING,
                        c -> {
                            c.requireAnswer(200);
                            for (String role : List.of("running", "queued 1", "queued 2")) {
                                c.requireCancelledOrEndedBefore(role);
                            }
                            c.requireStopped("running");
                        }).setUpEach(),
                Operation.client("pause",
                        c -> {
                            c.start("running", Api.simulated(8_000, 2_000));
                            c.start("queued", Api.echo("queued behind the pause"));
                            c.awaitRunning("running");
                        },
                        c -> api.pause(c.thread),
                        ChaosL_CrashPointSweepIT::pausedThenResume,
                        c -> {
                            c.requireStatus("running", "SUCCEEDED");
                            c.requireStatus("queued", "SUCCEEDED");
                            JsonNode queued = c.finalRun("queued");
                            Instant started = queued == null ? null : Api.time(queued, "startedAt");
                            c.require(started == null || c.answeredAt == null || started.isBefore(c.answeredAt)
                                            || (c.resumedAt != null && !started.isBefore(c.resumedAt)),
                                    "run " + c.runs.get("queued") + " started at " + started + ", after the pause answered at "
                                            + c.answeredAt + " and before the resume at " + c.resumedAt);
                        }),
                Operation.client("resume (a run held while paused)",
                        c -> {
                            Api.Response paused = api.pause(c.thread);
                            if (paused.status() != 200) {
                                throw new AssertionError("pause answered " + paused);
                            }
                            c.start("held", Api.echo("held while paused"));
                            Poll.until(Duration.ofSeconds(60), "the gate holds thread " + c.thread + "'s head while paused",
                                    () -> threadItem(c.thread), item -> item.containsKey("heldReceipt"));
                        },
                        c -> api.resume(c.thread),
                        NOTHING,
                        c -> {
                            c.requireAnswer(200);
                            c.require(!c.answer().body().path("paused").asBoolean(true), "the resume's answer shows the thread paused: " + c.answer());
                            c.requireStatus("held", "SUCCEEDED");
                        }),
                Operation.client("rerun",
                        c -> {
                            c.start("original", Api.echo("original"));
                            c.awaitStatus("original", "SUCCEEDED");
                        },
                        c -> c.recordRun("rerun", api.rerun(c.runs.get("original"), null, c.key)),
                        NOTHING,
                        c -> {
                            c.requireAnswer(200, 202);
                            c.requireStatus("rerun", "SUCCEEDED");
                            JsonNode rerun = c.finalRun("rerun");
                            c.require(rerun != null && c.runs.get("original").equals(rerun.path("rerunOf").asText(null)),
                                    "the rerun names its original (rerunOf): " + rerun);
                        }),
                Operation.daemon("daemon report succeeded",
                        c -> c.daemon.report(c.runs.get("target"), succeeded(c)),
                        c -> {
                            c.requireReportAnswer();
                            c.requireStatus("target", "SUCCEEDED");
                            c.requireOutput("target");
                            c.requireRecordedOnce("target", "Record success", "Record failure");
                        }),
                Operation.daemon("daemon report failed",
                        c -> c.daemon.report(c.runs.get("target"), Api.reportBody("failed", c.fenceToken)
                                .set("error", Api.JSON.createObjectNode().put("code", "CommandFailed").put("message", "exit code 3"))),
                        c -> {
                            c.requireReportAnswer();
                            c.requireEnded("target", "FAILED", "CommandFailed");
                            c.requireRecordedOnce("target", "Record failure", "Record success");
                        }),
                Operation.platform("finalize (Record success)", FINALIZE,
                        NOTHING,
                        c -> startTarget(c, Api.echo("finalized")),
                        calls -> calls.contains("sqs:DeleteMessage"),
                        HOLD_BOUND, true, false,
                        c -> c.requireStatus("target", "SUCCEEDED")),
                Operation.platform("hosted dispatch", HOSTED,
                        NOTHING,
                        c -> startTarget(c, Api.echo("dispatched")),
                        calls -> !calls.isEmpty(),
                        HOLD_BOUND, true, false,
                        c -> c.requireStatus("target", "SUCCEEDED")),
                // A crashed desktop dispatch is caught (never replayed: its daemon may already work) and ends the run FAILED.
                // The case's daemon stays away until then (nothing but the run's dispatch invokes the crashed function);
                // the calibration's daemon is there and serves the run.
                Operation.platform("desktop dispatch", DESKTOP,
                        c -> c.daemon = TestDaemon.register(),
                        c -> {
                            c.start("target", Api.desktop(c.daemon.id(), Api.JSON.createObjectNode().put("sweep", true)));
                            if (c.call == 0) {
                                c.fenceToken = takeRun(c);
                                Api.Response succeeded = c.daemon.report(c.runs.get("target"), succeeded(c));
                                c.require(succeeded.status() == 202, "the daemon's succeeded report answered " + succeeded);
                            }
                            return null;
                        },
                        calls -> !calls.isEmpty(),
                        HOLD_BOUND, true, false,
                        c -> {
                            if (c.call == 0) {
                                c.requireStatus("target", "SUCCEEDED");
                                c.requireOutput("target");
                            } else {
                                c.requireStatus("target", "FAILED");
                                JsonNode run = c.finalRun("target");
                                c.require(run == null || CRASHED.contains(run.path("error").path("code").asText()),
                                        "run target ended with error " + (run == null ? null : run.path("error")) + ", not a crash's " + CRASHED);
                            }
                            c.requireDispatchedOnce("target");
                            c.requireNoStartFrame("target");
                        }),
                Operation.platform("reaper (execution stopped from outside)", REAPER,
                        c -> {
                            c.start("target", LONG_RUN);
                            c.awaitRunning("target");
                        },
                        c -> {
                            String arn = api.run(c.runs.get("target")).path("executionArn").asText();
                            stack.sfn().stopExecution(r -> r.executionArn(arn).error("Console").cause("stopped from outside by the crash sweep"));
                            return null;
                        },
                        calls -> calls.contains("dynamodb:TransactWriteItems"),
                        HOLD_BOUND, false, false,
                        c -> c.requireEnded("target", "CANCELLED", "ExecutionAborted")),
                // Crashed first, checked after the API operations: its cases' messages come back only after the visibility timeout.
                Operation.platform("gate admission", GATE,
                        NOTHING,
                        c -> startTarget(c, Api.echo("admitted")),
                        calls -> calls.contains("states:StartExecution"),
                        REDELIVERY_BOUND, false, true,
                        c -> c.requireStatus("target", "SUCCEEDED")));
    }

    /**
     * Pause's promise, checked before the thread is resumed for its probe: once the running run has ended, the
     * thread stays paused and its queued run does not start (for a window as long as the gate needs to start a
     * released run, many times over).
     */
    private static void pausedThenResume(Case c) {
        c.requireAnswer(200);
        if (c.answer() != null && c.answer().status() == 200) {
            c.require(c.answer().body().path("paused").asBoolean(false), "the pause's answer shows the thread paused: " + c.answer());
        }
        Poll.until(Duration.ofSeconds(60), "run " + c.runs.get("running") + " ends", () -> readRun(c.runs.get("running")),
                r -> r != null && Api.TERMINAL.contains(r.path("status").asText()));
        String queued = c.runs.get("queued");
        try {
            Observe.holdsFor(Duration.ofSeconds(3), "thread " + c.thread + " paused, run " + queued + " not started since the pause answered",
                    () -> List.of(api.threadView(c.thread), api.run(queued)),
                    reads -> {
                        Instant started = Api.time(reads.get(1), "startedAt");
                        return reads.get(0).path("paused").asBoolean(false)
                                && (started == null || (c.answeredAt != null && started.isBefore(c.answeredAt)));
                    });
        } catch (AssertionFailedError broken) {
            c.fail(broken.getMessage());
        }
        c.resumedAt = Instant.now();
        Api.Response resumed = api.resume(c.thread);
        c.require(resumed.status() == 200, "resuming the paused thread for its probe answered " + resumed);
    }

    /**
     * The setup of a daemon report: a desktop run for the case's own daemon, taken by it as the reference daemon takes
     * one (its start frame claimed, then the pre-start heartbeat); the report comes next.
     */
    private static void takeDesktopRun(Case c) {
        c.daemon = TestDaemon.register();
        c.start("target", Api.desktop(c.daemon.id(), Api.JSON.createObjectNode().put("sweep", true)));
        c.fenceToken = takeRun(c);
    }

    /** The case's daemon takes its run: claims the start frame (an acknowledgement that removed it), heartbeats; its token. */
    private static long takeRun(Case c) {
        String runId = c.runs.get("target");
        JsonNode frame = Poll.until(Duration.ofSeconds(60), "run " + runId + "'s start frame reaches daemon " + c.daemon.id(),
                () -> c.daemon.startFrame(runId), java.util.Objects::nonNull);
        if (!c.daemon.claim(frame)) {
            throw new AssertionError("the daemon's claim of " + frame + " removed nothing");
        }
        long token = frame.path("fenceToken").asLong();
        Api.Response heartbeat = c.daemon.report(runId, Api.reportBody("heartbeat", token));
        if (heartbeat.status() != 202) {
            throw new AssertionError("the pre-start heartbeat of run " + runId + " answered " + heartbeat);
        }
        return token;
    }

    /** The succeeded report of the case's run; its output names the run. */
    private static ObjectNode succeeded(Case c) {
        ObjectNode report = Api.reportBody("succeeded", c.fenceToken);
        report.set("output", outputOf(c));
        return report;
    }

    private static JsonNode outputOf(Case c) {
        return Api.JSON.createObjectNode().put("run", c.runs.get("target"));
    }

    private static Api.Response startTarget(Case c, ObjectNode body) {
        c.start("target", body);
        return null;
    }

    private static ObjectNode onBusy(ObjectNode body, String policy) {
        return body.put("onBusy", policy);
    }

    // ------------------------------------------------------------------ one case

    /** One crash (call, when) of an operation on a fresh thread; call 0 is the calibration, without a crash. */
    static final class Case {
        final Operation op;
        final int call;
        final String when;
        final String thread;
        final String key = "sweep-" + Ids.random();
        /** The case's runs by role, in the order they were created. */
        final Map<String, String> runs = Collections.synchronizedMap(new LinkedHashMap<>());
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        final List<String> notes = Collections.synchronizedList(new ArrayList<>());
        boolean setUp;
        Instant performedAt;
        Api.Response first;
        Api.Response retried;
        /** When the operation's first successful (2xx) answer came back: the client's point of view. */
        Instant answeredAt;
        /** When the client's last request (the retry, else the first) was answered. */
        Instant doneAt;
        boolean fired;
        String struck = "-";
        Instant resumedAt;
        /** A desktop operation's daemon (the test acting as one) and the fence token of its run's start frame. */
        TestDaemon daemon;
        long fenceToken;
        String probe;
        Instant probeStarted;
        Duration probeTook;
        String probeStatus = "-";
        /** Every run of the thread as it was when checked, by run id. */
        final Map<String, JsonNode> finalRuns = Collections.synchronizedMap(new LinkedHashMap<>());

        Case(Operation op, int call, String when, int index) {
            this.op = op;
            this.call = call;
            this.when = when;
            this.thread = Ids.thread("l" + index);
        }

        String label() {
            return op.name() + " " + (call == 0 ? "calibration" : "call " + call + " " + when);
        }

        Api.Response answer() {
            return retried != null ? retried : first;
        }

        void start(String role, ObjectNode body) {
            runs.put(role, api.startRun(thread, body).path("runId").asText());
        }

        void awaitRunning(String role) {
            String runId = runs.get(role);
            Poll.until(Duration.ofSeconds(60), "run " + runId + " is RUNNING with an execution", () -> readRun(runId),
                    r -> r != null && "RUNNING".equals(r.path("status").asText()) && r.path("executionArn").isTextual());
        }

        /**
         * RUNNING and its attempt's Lambda holds the fence (attempts >= 1): an execution whose first Lambda had not
         * started yet would be refused at acquire once the run is cancelled and end by itself at once.
         */
        void awaitAttempt(String role) {
            String runId = runs.get(role);
            Poll.until(Duration.ofSeconds(60), "run " + runId + " is RUNNING in an attempt", () -> readRun(runId),
                    r -> r != null && "RUNNING".equals(r.path("status").asText()) && r.path("executionArn").isTextual()
                            && r.path("attempts").asInt() >= 1);
        }

        void awaitStatus(String role, String status) {
            String runId = runs.get(role);
            Poll.until(Duration.ofSeconds(60), "run " + runId + " is " + status, () -> readRun(runId),
                    r -> r != null && status.equals(r.path("status").asText()));
        }

        /** Keeps the run a start (or rerun) answered with; its retry must answer with the same one. */
        Api.Response recordRun(String role, Api.Response answer) {
            if (answer.status() == 200 || answer.status() == 202) {
                String runId = answer.body().path("runId").asText();
                String earlier = runs.putIfAbsent(role, runId);
                require(earlier == null || earlier.equals(runId), "the retry answered run " + runId + ", the first request run " + earlier);
            }
            return answer;
        }

        void require(boolean holds, String failure) {
            if (!holds) {
                fail(failure);
            }
        }

        void fail(String failure) {
            failures.add(failure);
        }

        void requireAnswer(int... statuses) {
            Api.Response answer = answer();
            require(answer != null && Arrays.stream(statuses).anyMatch(s -> s == answer.status()),
                    "the client's " + (retried != null ? "retry" : "request") + " answered " + answer + ", not " + Arrays.toString(statuses));
        }

        JsonNode finalRun(String role) {
            String runId = runs.get(role);
            return runId == null ? null : finalRuns.computeIfAbsent(runId, ChaosL_CrashPointSweepIT::readRun);
        }

        void requireStatus(String role, String status) {
            JsonNode run = finalRun(role);
            require(run != null && status.equals(run.path("status").asText()),
                    "run " + role + " (" + runs.get(role) + ") is " + (run == null ? "unknown" : run.path("status").asText()
                            + " " + run.path("error")) + ", not " + status);
        }

        void requireEnded(String role, String status, String errorCode) {
            requireStatus(role, status);
            JsonNode run = finalRun(role);
            require(run == null || errorCode.equals(run.path("error").path("code").asText()),
                    "run " + role + " (" + runs.get(role) + ") ended with error " + (run == null ? null : run.path("error")) + ", not " + errorCode);
        }

        /**
         * A daemon report's answer: 202; to the retry also 409 RunEnded, which a report gets once the first one's
         * SendTaskSuccess/Failure has closed the run's task (the end state checks that it did); never AlreadySucceeded.
         */
        void requireReportAnswer() {
            Api.Response answer = answer();
            require(answer != null && (answer.status() == 202
                            || retried != null && answer.status() == 409 && "RunEnded".equals(answer.errorCode())),
                    "the daemon's " + (retried != null ? "retry" : "report") + " answered " + answer + ", not 202"
                            + (retried != null ? " or 409 RunEnded" : ""));
        }

        /** The run's output (read whole: a listed run has none) is the one its daemon reported. */
        void requireOutput(String role) {
            JsonNode run = readRun(runs.get(role));
            require(run != null && outputOf(this).equals(run.path("output")),
                    "run " + role + " (" + runs.get(role) + ")'s output is " + (run == null ? null : run.path("output"))
                            + ", not " + outputOf(this));
        }

        /** The run's execution took the report once: it entered {@code once} one time and {@code never} not at all. */
        void requireRecordedOnce(String role, String once, String never) {
            List<HistoryEvent> history = history(role);
            require(History.entered(history, once) == 1 && History.entered(history, never) == 0,
                    "run " + role + "'s execution entered " + once + " " + History.entered(history, once) + " times and "
                            + never + " " + History.entered(history, never) + " times:" + History.describe(history));
        }

        /** One desktop dispatch: never replayed, since the daemon may already work on the run. */
        void requireDispatchedOnce(String role) {
            List<HistoryEvent> history = history(role);
            require(History.scheduled(history, DESKTOP).size() == 1,
                    "run " + role + " was dispatched " + History.scheduled(history, DESKTOP).size() + " times:" + History.describe(history));
        }

        /**
         * Once its run has ended, the daemon is given no start frame of it (the API drops a start frame of an ended run)
         * and nothing is left in its channel: no command runs for the run, now or later, and none twice.
         */
        void requireNoStartFrame(String role) {
            String runId = runs.get(role);
            JsonNode frame = daemon.startFrame(runId);
            require(frame == null, "the daemon was given the start frame of run " + runId + " after it ended: " + frame);
            int pending = stack.dynamo().query(r -> r.tableName(stack.framesTable()).keyConditionExpression("daemonId = :d")
                    .expressionAttributeValues(Map.of(":d", AttributeValue.fromS(daemon.id()))).consistentRead(true)).count();
            require(pending == 0, pending + " frames left in daemon " + daemon.id() + "'s channel");
        }

        private List<HistoryEvent> history(String role) {
            JsonNode run = finalRun(role);
            return run == null || !run.path("executionArn").isTextual() ? List.of() : stack.history(run.path("executionArn").asText());
        }

        /** Cancelled by the operation, or had ended before it was performed. */
        void requireCancelledOrEndedBefore(String role) {
            JsonNode run = finalRun(role);
            Instant finished = run == null ? null : Api.time(run, "finishedAt");
            require(run != null && ("CANCELLED".equals(run.path("status").asText())
                            || (finished != null && performedAt != null && finished.isBefore(performedAt))),
                    "run " + role + " (" + runs.get(role) + ") is " + (run == null ? "unknown" : run.path("status").asText())
                            + ", neither CANCELLED nor ended before the thread cancel");
        }

        /**
         * A cancelled running run's execution was stopped (ABORTED) by the operation, unless it had ended by itself (its
         * attempt refused by the fence) before the client's last request was answered: an execution still running then
         * that ends otherwise later was never stopped, and the run's attempt ran on beside the thread's next run.
         */
        void requireStopped(String role) {
            JsonNode run = finalRun(role);
            if (run == null || !run.path("executionArn").isTextual()) {
                return;
            }
            String arn = run.path("executionArn").asText();
            var execution = stack.sfn().describeExecution(r -> r.executionArn(arn));
            if ("ABORTED".equals(execution.statusAsString()) || execution.stopDate() == null || doneAt == null) {
                return; // a running execution fails the thread check
            }
            if (execution.stopDate().isAfter(doneAt)) {
                fail("run " + role + " (" + runs.get(role) + ")'s execution was never stopped: it was still running when the"
                        + " client's " + (retried != null ? "retry" : "request") + " was answered (" + doneAt + ") and ended "
                        + execution.statusAsString() + " at " + execution.stopDate() + failedTasks(arn)
                        + nextRunStart(run, execution.stopDate()));
            } else {
                notes.add("run " + role + "'s execution ended " + execution.statusAsString() + " by itself before the "
                        + (retried != null ? "retry" : "request") + " was answered");
            }
        }

        /** Evidence: the thread's next run to start after this one ended, if it started before the execution ended. */
        private String nextRunStart(JsonNode ended, Instant executionEnded) {
            Instant finished = Api.time(ended, "finishedAt");
            return finalRuns.values().stream().filter(r -> Api.time(r, "startedAt") != null && finished != null
                            && Api.time(r, "startedAt").isAfter(finished))
                    .min(java.util.Comparator.comparing((JsonNode r) -> Api.time(r, "startedAt")))
                    .filter(next -> Api.time(next, "startedAt").isBefore(executionEnded))
                    .map(next -> String.format(Locale.ROOT, "; the thread's next run %s started %.1f s before that execution ended",
                            next.path("runId").asText(), Duration.between(Api.time(next, "startedAt"), executionEnded).toMillis() / 1000.0))
                    .orElse("");
        }

        String outcome() {
            if (failures.isEmpty()) {
                return notes.isEmpty() ? "ok" : "ok (" + String.join("; ", notes) + ")";
            }
            return "FAIL: " + String.join("; ", failures) + (notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")");
        }
    }

    // ------------------------------------------------------------------ the sweep

    /** Every case checked, in the order of {@link #operations()}. */
    private final List<Case> all = new ArrayList<>();
    private final Map<Operation, List<Case>> swept = new LinkedHashMap<>();
    private final Map<String, List<String>> calibrated = new LinkedHashMap<>();
    private int threads;

    @Test
    @Timeout(value = 45, unit = TimeUnit.MINUTES)
    void everyOperationSurvivesACrashBeforeAndAfterEachOfItsAwsCalls() throws Exception {
        Instant began = Instant.now();
        List<String> only = Arrays.stream(System.getProperty("runlane.sweep.operations", "").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).map(s -> s.toLowerCase(Locale.ROOT)).toList();
        List<Operation> selected = operations().stream().filter(op -> only.isEmpty()
                || only.stream().anyMatch(word -> op.name().toLowerCase(Locale.ROOT).contains(word))).toList();
        String table;
        try {
            // A crash strikes the first invocation of its function to reach the call, so an operation is crashed only
            // while nothing else invokes its function: one operation at a time, each checked before the next is armed,
            // except those checked later (the gate: crashed first, their recovery overlapping the API operations).
            Map<Operation, List<Case>> later = new LinkedHashMap<>();
            for (Operation op : selected.stream().filter(Operation::checkedLater).toList()) {
                later.put(op, dispatch(op));
            }
            for (Operation op : selected.stream().filter(op -> !op.checkedLater() && op.retriedBy() == RetriedBy.CLIENT).toList()) {
                sweep(op);
            }
            for (Map.Entry<Operation, List<Case>> op : later.entrySet()) {
                check(op.getKey(), op.getValue());
                swept.put(op.getKey(), op.getValue());
            }
            for (Operation op : selected.stream().filter(op -> !op.checkedLater() && op.retriedBy() == RetriedBy.PLATFORM).toList()) {
                sweep(op);
            }
        } finally {
            selected.forEach(op -> all.addAll(swept.getOrDefault(op, List.of())));
            // Also when the sweep is cut short (its timeout): the cases checked so far.
            table = table(Duration.between(began, Instant.now()));
            System.out.print(table.lines().map(line -> "[sweep] " + line + "\n").collect(Collectors.joining()));
            Path report = Path.of("target", "crash-sweep.md").toAbsolutePath();
            try {
                Files.createDirectories(report.getParent());
                Files.writeString(report, table);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.out.println("[sweep] table written to " + report);
        }
        List<Case> failed = all.stream().filter(c -> !c.failures.isEmpty()).toList();
        if (all.isEmpty() || !failed.isEmpty()) {
            throw new AssertionFailedError((all.isEmpty() ? "no operation swept (runlane.sweep.operations=" + only + ")"
                    : failed.size() + " of " + all.size() + " cases failed:\n" + failed.stream()
                            .map(c -> "  " + c.label() + " (thread " + c.thread + "): " + c.outcome()).collect(Collectors.joining("\n")))
                    + "\n" + table);
        }
    }

    /** Dispatches every case of the operation, then checks them. */
    private void sweep(Operation op) throws Exception {
        Instant began = Instant.now();
        List<Case> cases = dispatch(op);
        check(op, cases);
        swept.put(op, cases);
        System.out.printf("[sweep] %s: swept and checked in %.1f s%n", op.name(), seconds(began));
    }

    /**
     * Calibrates the operation, crashes it at every call before and after (the client retrying), then starts each
     * case's probe run; returns the cases, calibration first, for {@link #check}.
     */
    private List<Case> dispatch(Operation op) throws Exception {
        List<Case> calibrations = new ArrayList<>();
        for (int i = 0; i < CALIBRATIONS; i++) {
            calibrations.add(newCase(op, 0, null));
        }
        prepare(calibrations);
        List<String> calls;
        try {
            calls = calibrations.stream().anyMatch(c -> c.setUp) ? calibrate(op, calibrations) : List.of();
        } catch (RuntimeException | AssertionError e) {
            calibrations.getFirst().fail("calibration failed: " + e.getMessage());
            calls = List.of();
        }
        if (calls.isEmpty()) {
            calibrated.put(op.name(), calls);
            if (op.checkedLater()) {
                startProbes(op, calibrations);
            }
            return calibrations;
        }
        calibrated.put(op.name(), calls);
        System.out.printf("[sweep] %s: %s served it with %d AWS calls: %s%n", op.name(), op.function(), calls.size(),
                numbered(calls));

        List<Case> cases = new ArrayList<>();
        for (int call = 1; call <= calls.size(); call++) {
            for (String when : List.of("before", "after")) {
                cases.add(newCase(op, call, when));
            }
        }
        Instant dispatching = Instant.now();
        Case previous = calibrations.getLast();
        for (int from = 0; from < cases.size(); from += op.setUpAtOnce()) {
            List<Case> chunk = cases.subList(from, Math.min(cases.size(), from + op.setUpAtOnce()));
            prepare(chunk);
            for (Case c : chunk) {
                if (!c.setUp) {
                    continue;
                }
                if (op.settleBetweenCases()) {
                    awaitExecutionEnded(previous, Duration.ofSeconds(60));
                }
                crash(c);
                previous = c;
            }
        }
        System.out.printf("[sweep] %s: %d cases set up, crashed and retried in %.1f s%n", op.name(), cases.size(), seconds(dispatching));
        List<Case> swept = new ArrayList<>();
        swept.addAll(calibrations);
        swept.addAll(cases);
        if (op.checkedLater()) {
            startProbes(op, swept);
        }
        return swept;
    }

    private Case newCase(Operation op, int call, String when) {
        return new Case(op, call, when, ++threads);
    }

    /** The preconditions of a few cases at once, no fault armed. */
    private void prepare(List<Case> cases) throws Exception {
        parallel(cases, c -> {
            c.op.setup().run(c);
            c.setUp = true;
        }, "setup");
    }

    /**
     * Runs the operation without faults, on a few threads at once; returns the AWS calls of the longest invocation
     * that served it. Its path can depend on a race (cancel-others: whether the gate or the start itself ends the
     * queued run it supersedes), and the longest path is the one with the most crash points.
     */
    private List<String> calibrate(Operation op, List<Case> cases) throws Exception {
        List<Case> ready = cases.stream().filter(c -> c.setUp).toList();
        Set<String> before = invocationIds(op.function());
        parallel(ready, this::perform, "calibration");
        if (op.retriedBy() == RetriedBy.PLATFORM) {
            for (Case c : ready) {
                awaitTargetEnded(c, Duration.ofSeconds(90));
            }
        }
        Supplier<List<JsonNode>> served = () -> newInvocations(op.function(), before).stream()
                .filter(i -> !"running".equals(i.path("state").asText()) && i.path("callCount").asInt() > 0
                        && op.servedBy().test(calls(i))).toList();
        try {
            Poll.until(Duration.ofSeconds(30), op.function() + "'s invocations that served " + op.name(), served,
                    found -> found.size() >= ready.size());
        } catch (AssertionFailedError fewer) {
            // one of them raced to a path that does not match (the reaper after the gate's re-check): the others count
        }
        List<JsonNode> found = served.get();
        if (found.isEmpty()) {
            throw new AssertionFailedError("no invocation of " + op.function() + " served " + op.name() + ": "
                    + newInvocations(op.function(), before));
        }
        for (JsonNode invocation : found) {
            if (!"succeeded".equals(invocation.path("state").asText())) {
                throw new AssertionFailedError(op.name() + " failed without any fault: " + invocation);
            }
        }
        List<List<String>> paths = found.stream().map(ChaosL_CrashPointSweepIT::calls).toList();
        if (paths.stream().distinct().count() > 1) {
            System.out.printf("[sweep] %s: the calibrations took %d paths: %s%n", op.name(), paths.stream().distinct().count(),
                    paths.stream().map(List::size).toList());
        }
        return paths.stream().max(java.util.Comparator.comparingInt(List::size)).orElseThrow();
    }

    /** Arms the crash, performs the operation, waits until the crash fired or the operation ended, clears, retries. */
    private void crash(Case c) throws Exception {
        Operation op = c.op;
        Set<String> before = invocationIds(op.function());
        faults.add(Faults.fault("crash", op.function(), 1).put("call", c.call).put("when", c.when));
        try {
            perform(c);
            if (op.retriedBy() == RetriedBy.PLATFORM) {
                try {
                    // Ended: its run has ended and every invocation of the function since the crash was armed has
                    // returned (the run ends at finalize's or the reaper's end write, before their last calls).
                    Poll.until(Duration.ofSeconds(60), "the crash fires or " + c.label() + " ends without reaching the call",
                            () -> faults.fired("crash") > 0 || (targetEnded(c) && finished(op.function(), before)), done -> done);
                } catch (AssertionFailedError neither) {
                    c.notes.add("neither fired nor ended within 60 s");
                }
            }
            c.fired = faults.fired("crash") > 0;
        } finally {
            faults.clear();
        }
        if (c.fired) {
            c.struck = struckCall(op.function(), before, c.call);
        } else {
            c.notes.add("crash not reached: the operation made fewer than " + c.call + " calls");
        }
        if (op.retriedBy() == RetriedBy.CLIENT) {
            retry(c);
        }
        System.out.printf("[sweep] %s: %s %s, %s -> %s in %.1f s%n", c.label(), c.struck, c.fired ? "fired" : "not reached",
                shortAnswer(c.first), op.retriedBy() == RetriedBy.CLIENT ? shortAnswer(c.retried) : "platform", seconds(c.performedAt));
    }

    private void perform(Case c) {
        c.performedAt = Instant.now();
        try {
            c.first = c.op.perform().perform(c);
        } catch (Exception | AssertionError e) {
            c.notes.add("the operation threw " + e);
        }
        c.doneAt = Instant.now();
        if (c.first != null && c.first.status() / 100 == 2) {
            c.answeredAt = c.doneAt;
        }
    }

    /** The client's retry: the same request again (the same Idempotency-Key: the case's). */
    private void retry(Case c) {
        try {
            c.retried = c.op.perform().perform(c);
        } catch (Exception | AssertionError e) {
            c.fail("the retry threw " + e);
            return;
        }
        c.doneAt = Instant.now();
        if (c.answeredAt == null && c.retried.status() / 100 == 2) {
            c.answeredAt = c.doneAt;
        }
    }

    // ------------------------------------------------------------------ convergence and checks

    /** What must hold before each case's probe (its operation's own check), then the probe run, on these threads at once. */
    private void startProbes(Operation op, List<Case> cases) throws Exception {
        Instant began = Instant.now();
        parallel(cases.stream().filter(c -> c.setUp).toList(), c -> {
            op.beforeProbe().run(c);
            Api.Response started = api.start(c.thread, Api.echo("probe"), null);
            if (started.status() == 202) {
                c.probe = started.body().path("runId").asText();
                c.probeStarted = Instant.now();
            } else {
                c.fail("the probe run's start answered " + started);
            }
        }, "check before the probe");
        System.out.printf("[sweep] %s: %d probes started in %.1f s%n", op.name(), cases.size(), seconds(began));
    }

    /** Once every case was dispatched: the probes (in waves), then each thread's invariants and its end state. */
    private void check(Operation op, List<Case> cases) throws Exception {
        List<Case> swept = cases.stream().filter(c -> c.setUp).toList();
        Instant began = Instant.now();
        if (op.checkedLater()) {
            awaitProbes(swept.stream().filter(c -> c.probe != null).toList(), op.probeBound());
        } else {
            for (int from = 0; from < swept.size(); from += PROBE_WAVE) {
                List<Case> wave = swept.subList(from, Math.min(swept.size(), from + PROBE_WAVE));
                startProbes(op, wave);
                awaitProbes(wave.stream().filter(c -> c.probe != null).toList(), op.probeBound());
            }
        }
        Instant checking = Instant.now();
        parallel(swept, this::checkThread, "thread check");
        parallel(swept, op.expect(), "end state check");
        System.out.printf("[sweep] %s: checked in %.1f s (probes %.1f s, threads and end states %.1f s)%n",
                op.name(), seconds(began), Duration.between(began, checking).toMillis() / 1000.0, seconds(checking));
    }

    /**
     * One poll loop for every probe of the operation; each must SUCCEED within the operation's probe bound of its
     * start, as its own finishedAt says (so a probe checked late, the gate's, is still measured exactly).
     */
    private void awaitProbes(List<Case> cases, Duration bound) {
        List<Case> pending = new ArrayList<>(cases);
        Instant lastStart = cases.stream().map(c -> c.probeStarted).max(Instant::compareTo).orElse(Instant.now());
        Duration wait = Duration.between(Instant.now(), lastStart.plus(bound)).plusSeconds(5);
        try {
            Poll.until(wait.isNegative() ? Duration.ofSeconds(5) : wait, "the probe runs end", () -> {
                for (Case c : List.copyOf(pending)) {
                    JsonNode probe = readRun(c.probe);
                    if (probe != null && Api.TERMINAL.contains(probe.path("status").asText())) {
                        Instant finished = Api.time(probe, "finishedAt");
                        c.probeTook = Duration.between(c.probeStarted, finished != null ? finished : Instant.now());
                        c.probeStatus = probe.path("status").asText();
                        pending.remove(c);
                    }
                }
                return pending.size();
            }, left -> left == 0);
        } catch (AssertionFailedError timedOut) {
            // reported per case below
        }
        for (Case c : cases) {
            if (c.probeTook == null) {
                JsonNode probe = readRun(c.probe);
                c.fail("stuck thread: probe run " + c.probe + " is " + (probe == null ? "unreadable" : probe.path("status").asText())
                        + " " + bound.toSeconds() + " s after its start");
            } else {
                c.require("SUCCEEDED".equals(c.probeStatus), "probe run " + c.probe + " ended " + c.probeStatus);
                c.require(c.probeTook.compareTo(bound) <= 0, "stuck thread: probe run " + c.probe + " took "
                        + c.probeTook.toMillis() / 1000.0 + " s, over its bound of " + bound.toSeconds() + " s");
            }
        }
    }

    /** No orphan run, no invisible queued run, no execution left running, no overlap, queue order. */
    private void checkThread(Case c) {
        List<JsonNode> listed = api.threadRuns(c.thread);
        Map<String, JsonNode> runs = new LinkedHashMap<>();
        listed.forEach(r -> runs.put(r.path("runId").asText(), r));
        for (String runId : c.runs.values()) {
            if (!runs.containsKey(runId)) {
                JsonNode run = readRun(runId);
                if (run != null) {
                    runs.put(runId, run);
                    c.notes.add("run " + runId + " (" + run.path("status").asText() + ") not listed: never queued");
                }
            }
        }
        // Every run ends: a moment for what the probe's success does not wait for (a stopped run's end written by the reaper).
        try {
            Poll.until(SETTLE_BOUND, "every run of thread " + c.thread + " ends", () -> {
                runs.replaceAll((id, run) -> Api.TERMINAL.contains(run.path("status").asText()) ? run
                        : java.util.Objects.requireNonNullElse(readRun(id), run));
                return runs.values().stream().allMatch(r -> Api.TERMINAL.contains(r.path("status").asText()));
            }, ended -> ended);
        } catch (AssertionFailedError notAll) {
            for (JsonNode run : runs.values()) {
                String status = run.path("status").asText();
                String runId = run.path("runId").asText();
                if ("QUEUED".equals(status)) {
                    // Still queued after the probe that was queued behind it ran: it must at least be cancellable.
                    Api.Response cancelled = api.cancel(runId);
                    c.require(cancelled.status() == 200, "orphan run: " + runId + " QUEUED, and its cancel answered " + cancelled);
                    c.notes.add("run " + runId + " stayed QUEUED; its cancel answered " + cancelled.status());
                } else if (!Api.TERMINAL.contains(status)) {
                    c.fail("orphan run: " + runId + " is " + status + " after the probe succeeded");
                }
            }
        }
        JsonNode view = api.threadView(c.thread);
        c.require(view.path("running").isNull() && view.path("queued").asInt() == 0 && !view.path("paused").asBoolean(false),
                "the thread shows runs that never end or a pause: " + view);
        // No execution of an ended run left running.
        for (JsonNode run : runs.values()) {
            if (run.path("executionArn").isTextual()) {
                String arn = run.path("executionArn").asText();
                try {
                    Poll.until(SETTLE_BOUND, "execution " + arn + " ends",
                            () -> stack.sfn().describeExecution(r -> r.executionArn(arn)).statusAsString(), s -> !"RUNNING".equals(s));
                } catch (AssertionFailedError running) {
                    c.fail("run " + run.path("runId").asText() + " is " + run.path("status").asText() + " but its execution still runs");
                }
            }
        }
        // No overlap, queue order: in queue order, each run that started did so after every earlier one finished.
        JsonNode previous = null;
        for (JsonNode run : listed.stream().map(r -> runs.get(r.path("runId").asText())).toList()) {
            Instant started = Api.time(run, "startedAt");
            if (started == null) {
                continue;
            }
            if (previous != null) {
                Instant finished = Api.time(previous, "finishedAt");
                c.require(finished != null && !started.isBefore(finished), "overlap or out of order: run " + run.path("runId").asText()
                        + " started at " + started + " before run " + previous.path("runId").asText() + ", queued before it, finished at "
                        + finished + RunTimeline.describe(listed.stream().map(r -> runs.get(r.path("runId").asText())).toList()));
            }
            previous = run;
        }
        c.require(!listed.isEmpty() && c.probe != null && c.probe.equals(listed.getLast().path("runId").asText()),
                "the probe run is not the thread's last in queue order");
        c.finalRuns.putAll(runs);
        if (c.op.retriedBy() == RetriedBy.PLATFORM && c.fired && c.op.settleBetweenCases()) {
            noteIfNotStruck(c);
        }
    }

    /** Whether the crash struck this case's execution (a failed Task in its history), or another invocation. */
    private void noteIfNotStruck(Case c) {
        JsonNode target = c.finalRuns.get(c.runs.get("target"));
        if (target != null && target.path("executionArn").isTextual()) {
            String failed = failedTasks(target.path("executionArn").asText());
            if (failed.isEmpty()) {
                c.notes.add("no failed Task in its execution: the crash struck another invocation");
            }
        }
    }

    /** The failed Tasks of an execution, for evidence: " (failed tasks: [...])", or empty. */
    static String failedTasks(String executionArn) {
        List<String> failed = stack.history(executionArn).stream()
                .filter(e -> e.taskFailedEventDetails() != null || e.taskTimedOutEventDetails() != null)
                .map(ChaosL_CrashPointSweepIT::describeFailure).toList();
        return failed.isEmpty() ? "" : " (failed tasks: " + failed + ")";
    }

    private static String describeFailure(HistoryEvent e) {
        return e.taskFailedEventDetails() != null ? e.taskFailedEventDetails().error() : "States.Timeout";
    }

    // ------------------------------------------------------------------ reads

    /** A run, or null when the API did not answer 200 (polls go on). */
    static JsonNode readRun(String runId) {
        Api.Response response = api.get("/runs/" + runId);
        return response.status() == 200 ? response.body() : null;
    }

    private static boolean targetEnded(Case c) {
        JsonNode run = c.runs.get("target") == null ? null : readRun(c.runs.get("target"));
        return run != null && Api.TERMINAL.contains(run.path("status").asText());
    }

    /**
     * The previous case's execution has ended: Step Functions will invoke nothing more for it (no retried attempt,
     * no retried Record step) that the next case's crash could strike instead.
     */
    private void awaitExecutionEnded(Case c, Duration bound) {
        String runId = c.runs.get("target");
        if (runId == null) {
            return;
        }
        try {
            Poll.until(bound, "the execution of run " + runId + " (" + c.label() + ") ends", () -> {
                JsonNode run = readRun(runId);
                return run != null && run.path("executionArn").isTextual() && !"RUNNING".equals(stack.sfn()
                        .describeExecution(r -> r.executionArn(run.path("executionArn").asText())).statusAsString());
            }, ended -> ended);
        } catch (AssertionFailedError notYet) {
            c.notes.add("its execution had not ended " + bound.toSeconds() + " s after its crash, when the next case was armed");
        }
    }

    private void awaitTargetEnded(Case c, Duration bound) {
        if (c.runs.get("target") == null) {
            return;
        }
        try {
            Poll.until(bound, "run " + c.runs.get("target") + " of " + c.label() + " ends", () -> targetEnded(c), ended -> ended);
        } catch (AssertionFailedError notYet) {
            c.notes.add("not ended " + bound.toSeconds() + " s after its crash, when the next case was armed");
        }
    }

    private Api edge() {
        return new Api(stack.awsEndpoint());
    }

    /** A function's recent invocations (the edge keeps 20), oldest first. */
    private List<JsonNode> invocations(String function) {
        Api.Response listing = edge().get("/_runlane/invocations?function=" + URLEncoder.encode(function, StandardCharsets.UTF_8) + "&last=20");
        if (listing.status() != 200) {
            throw new AssertionFailedError("/_runlane/invocations answered " + listing);
        }
        List<JsonNode> invocations = new ArrayList<>();
        listing.body().path("invocations").forEach(invocations::add);
        return invocations;
    }

    private Set<String> invocationIds(String function) {
        return invocations(function).stream().map(i -> i.path("requestId").asText()).collect(Collectors.toSet());
    }

    /** The function was invoked since {@code before} and none of those invocations is still running. */
    private boolean finished(String function, Set<String> before) {
        List<JsonNode> since = newInvocations(function, before);
        return !since.isEmpty() && since.stream().noneMatch(i -> "running".equals(i.path("state").asText()));
    }

    private List<JsonNode> newInvocations(String function, Set<String> before) {
        return invocations(function).stream().filter(i -> !before.contains(i.path("requestId").asText())).toList();
    }

    /** The AWS action the crash struck: the call numbered {@code call} of the newest invocation it killed. */
    private String struckCall(String function, Set<String> before, int call) {
        try {
            JsonNode struck = Poll.until(Duration.ofSeconds(10), "the invocation the crash killed",
                    () -> newInvocations(function, before).stream()
                            .filter(i -> "failed".equals(i.path("state").asText()) && i.path("callCount").asInt() >= call)
                            .reduce((older, newer) -> newer).orElse(null),
                    i -> i != null);
            List<String> calls = calls(struck);
            return calls.size() >= call ? calls.get(call - 1) : "?";
        } catch (AssertionFailedError notListed) {
            return "?";
        }
    }

    private static List<String> calls(JsonNode invocation) {
        List<String> calls = new ArrayList<>();
        invocation.path("calls").forEach(call -> calls.add(call.asText()));
        return calls;
    }

    private Map<String, AttributeValue> threadItem(String threadId) {
        return stack.dynamo().getItem(r -> r.tableName(threadsTable()).key(Map.of("threadId", AttributeValue.fromS(threadId)))
                .consistentRead(true)).item();
    }

    private String threadsTable;

    private synchronized String threadsTable() {
        if (threadsTable == null) {
            List<String> names = stack.dynamo().listTablesPaginator(r -> r.limit(100)).tableNames().stream()
                    .filter(name -> name.matches("(?:.*-)?ThreadsTable(?:-[^-]*)?")).toList();
            if (names.size() != 1) {
                throw new IllegalStateException("expected one table named like ThreadsTable, found " + names);
            }
            threadsTable = names.getFirst();
        }
        return threadsTable;
    }

    // ------------------------------------------------------------------ the test as a daemon

    /**
     * A registered daemon that the test acts as, over HTTP, as the reference daemon would: it polls, claims and reports
     * only when a case says so, so it never invokes DaemonApiFunction while that function is armed (the reference
     * daemon long-polls its frames all the time).
     */
    record TestDaemon(String id, String credential) {
        static TestDaemon register() {
            String id = "e2e-sweep-daemon-" + Ids.random();
            return new TestDaemon(id, api.daemonCredential(id));
        }

        /** The run's start frame if the API delivers it now (one poll, no wait), else null. */
        JsonNode startFrame(String runId) {
            Api.Response frames = api.frames(id, credential, 0);
            if (frames.status() != 200) {
                throw new AssertionError("daemon " + id + "'s frames answered " + frames);
            }
            for (JsonNode frame : frames.body().path("frames")) {
                if ("start".equals(frame.path("kind").asText()) && runId.equals(frame.path("runId").asText())) {
                    return frame;
                }
            }
            return null;
        }

        /** Claims a start frame: true when this acknowledgement removed it. */
        boolean claim(JsonNode frame) {
            String frameId = frame.path("frameId").asText();
            Api.Response acknowledged = api.acknowledge(id, credential, List.of(frameId));
            for (JsonNode removed : acknowledged.body().path("acknowledged")) {
                if (acknowledged.status() == 200 && frameId.equals(removed.asText())) {
                    return true;
                }
            }
            return false;
        }

        Api.Response report(String runId, JsonNode report) {
            return api.report(runId, credential, report);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Runs a step for each case, a few at once; a step that throws fails its case with what it threw. */
    private static void parallel(List<Case> cases, Step step, String what) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(CHUNK, cases.size())))) {
            List<Future<?>> done = new ArrayList<>();
            for (Case c : cases) {
                done.add(pool.submit(() -> {
                    try {
                        step.run(c);
                    } catch (Exception | AssertionError e) {
                        c.fail(what + " failed: " + e.getMessage());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.MINUTES);
            }
        }
    }

    private static String numbered(List<String> calls) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < calls.size(); i++) {
            out.append(i == 0 ? "" : ", ").append(i + 1).append(' ').append(calls.get(i));
        }
        return out.toString();
    }

    private static double seconds(Instant since) {
        return Duration.between(since, Instant.now()).toMillis() / 1000.0;
    }

    private static String shortAnswer(Api.Response response) {
        if (response == null) {
            return "-";
        }
        String code = response.status() >= 400 ? response.errorCode() : null;
        return response.status() + (code != null ? " " + code : "");
    }

    /** The sweep as a Markdown table: one row per case, the calibrated calls of each operation above it. */
    private String table(Duration took) {
        StringBuilder out = new StringBuilder();
        long failed = all.stream().filter(c -> !c.failures.isEmpty()).count();
        out.append("# Crash-point sweep (ChaosL_CrashPointSweepIT)\n\n")
                .append(String.format(Locale.ROOT, "%d cases, %d failed, in %.1f s. Crash: the function's sandbox SIGKILLed just"
                        + " before / just after its k-th AWS call; API requests and daemon reports are then retried by their client"
                        + " (the same request), the others by the platform. Probe bound: %d s (HoldSeconds %d + %d s), %d s for the gate"
                        + " (VisibilityTimeout %d + %d s).%n%n", all.size(), failed, took.toMillis() / 1000.0,
                        HOLD_BOUND.toSeconds(), E2eStack.HOLD_SECONDS, PROBE_MARGIN.toSeconds(), REDELIVERY_BOUND.toSeconds(),
                        VISIBILITY_TIMEOUT.toSeconds(), PROBE_MARGIN.toSeconds()));
        calibrated.forEach((op, calls) -> out.append("- ").append(op).append(": ").append(calls.size()).append(" calls: ")
                .append(numbered(calls)).append('\n'));
        out.append("\n| operation | call | action | when | crash | first answer | retry answer | probe | outcome |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        for (Case c : all) {
            List<String> calls = calibrated.getOrDefault(c.op.name(), List.of());
            String action = c.call == 0 ? "-" : c.fired && !"?".equals(c.struck) ? c.struck
                    : c.call <= calls.size() ? calls.get(c.call - 1) : "?";
            out.append("| ").append(c.op.name())
                    .append(" | ").append(c.call == 0 ? "-" : String.valueOf(c.call))
                    .append(" | ").append(action)
                    .append(" | ").append(c.when == null ? "no fault" : c.when)
                    .append(" | ").append(c.call == 0 ? "-" : c.fired ? "fired" : "not reached")
                    .append(" | ").append(shortAnswer(c.first))
                    .append(" | ").append(c.op.retriedBy() == RetriedBy.PLATFORM ? "platform" : shortAnswer(c.retried))
                    .append(" | ").append(c.probeTook == null ? c.probeStatus : String.format(Locale.ROOT, "%s %.1f s", c.probeStatus,
                            c.probeTook.toMillis() / 1000.0))
                    .append(" | ").append(c.outcome().replace("|", "/").replace("\n", " "))
                    .append(" |\n");
        }
        return out.toString();
    }
}
