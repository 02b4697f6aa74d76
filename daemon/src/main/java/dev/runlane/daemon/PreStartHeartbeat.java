package dev.runlane.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The heartbeat a run gets just before its command starts, under the start frame's fence token: only a
 * 202 proves that the run is still the thread's live run and lets the command start. The API drops the
 * start frames of runs that ended while the daemon was away, but a run can still end after its frame was
 * fetched (the frame may wait in its lane while the directory's previous command is killed), and a command
 * started for it would work in the directory until its first report got 409. The 202 is also the run's
 * first heartbeat, sent at once instead of one interval after the start.
 */
final class PreStartHeartbeat {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How many times a 202 that came too late is sent again before the command starts on it anyway. */
    static final int LATE_RESENDS = 2;

    private final Reporter reporter;
    private final Log log;
    private final Duration patience;
    private final Duration retryFirst;
    private final Duration retryCap;
    private final BooleanSupplier stopping;

    /**
     * @param patience how long network errors and 5xx are retried: well inside the run's heartbeat window
     *                 on the server (which counts from the dispatch), or the run times out meanwhile
     */
    PreStartHeartbeat(Reporter reporter, Log log, Duration patience, Duration retryFirst, Duration retryCap,
                      BooleanSupplier stopping) {
        this.reporter = reporter;
        this.log = log;
        this.patience = patience;
        this.retryFirst = retryFirst;
        this.retryCap = retryCap;
        this.stopping = stopping;
    }

    Duration patience() {
        return patience;
    }

    /** The API's definitive answer, and when ({@link MonotonicClock}) the attempt it answered was sent. */
    record Answer(Reporter.Result result, long sentAt) {
    }

    /**
     * Sends the heartbeat until it is answered in time. A 202 starts the run's heartbeat window on the daemon's side
     * from when its attempt was sent, so a 202 that took longer than {@code answeredWithin} (a cold API under load)
     * would start the command with little of its window left, to be stopped before its first heartbeat: it is sent
     * again, up to {@value #LATE_RESENDS} times, and the command starts on the last answer.
     *
     * @param answeredWithin how long a 202 may take to count as fresh; zero for no limit (no heartbeat window)
     * @return the API's definitive answer (202, 409, 404, 403, 401, other 4xx) and when its attempt was sent
     * @throws IOException the last failure, once the patience has run out or the daemon is stopping
     */
    Answer send(RunRef ref, Duration answeredWithin) throws IOException, InterruptedException {
        for (int resends = 0; ; resends++) {
            Answer answer = send(ref);
            Duration took = Duration.ofNanos(MonotonicClock.nanos() - answer.sentAt());
            if (answer.result().outcome() != Reporter.Outcome.ACCEPTED || answeredWithin.isZero()
                    || took.compareTo(answeredWithin) <= 0 || resends == LATE_RESENDS || stopping.getAsBoolean()) {
                return answer;
            }
            log.info(String.format("%s: the pre-start heartbeat was answered after %.1fs, more than the %.1fs that leave "
                    + "the command enough of its heartbeat window: sending it again", ref, took.toMillis() / 1e3,
                    answeredWithin.toMillis() / 1e3));
        }
    }

    /**
     * Sends the heartbeat once; a network error or a 5xx is retried with backoff while the patience lasts.
     *
     * @throws IOException the last failure, once the patience has run out or the daemon is stopping
     */
    private Answer send(RunRef ref) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("type", "heartbeat").put("fenceToken", ref.fenceToken());
        Backoff backoff = new Backoff(retryFirst, retryCap);
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            long sentAt = MonotonicClock.nanos();
            try {
                return new Answer(reporter.report(ref.runId(), body), sentAt);
            } catch (IOException e) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || stopping.getAsBoolean()) {
                    throw e;
                }
                Duration wait = backoff.next();
                if (wait.toNanos() > left) {
                    wait = Duration.ofNanos(left);
                }
                log.warn(ref + ": pre-start heartbeat not sent (" + describe(e) + "), retrying in "
                        + wait.toMillis() + "ms");
                pause(wait);
                if (stopping.getAsBoolean()) {
                    throw e;
                }
            }
        }
    }

    /** Sleeps, but not past a daemon stop: a stopping daemon does not wait out the backoff. */
    private void pause(Duration d) throws InterruptedException {
        long until = System.nanoTime() + d.toNanos();
        long left;
        while ((left = until - System.nanoTime()) > 0 && !stopping.getAsBoolean()) {
            Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 100));
        }
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return Log.oneLine(e.getClass().getSimpleName() + (m == null ? "" : ": " + m));
    }
}
