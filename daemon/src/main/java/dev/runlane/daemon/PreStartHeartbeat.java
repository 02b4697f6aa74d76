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
     * Sends the heartbeat; a network error or a 5xx is retried with backoff while the patience lasts.
     *
     * @return the API's definitive answer (202, 409, 404, 403, 401, other 4xx): a 202 starts the run's heartbeat
     *     window on the daemon's side from when that attempt was sent
     * @throws IOException the last failure, once the patience has run out or the daemon is stopping
     */
    Answer send(RunRef ref) throws IOException, InterruptedException {
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
