package dev.runlane.daemon;

import static dev.runlane.daemon.FakeHttp.error;
import static dev.runlane.daemon.FakeHttp.query;
import static dev.runlane.daemon.FakeHttp.send;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plays the run API's read side for one run, in memory: {@code GET /runs/{runId}} and the long-polled
 * {@code GET /runs/{runId}/events?after&waitSeconds} (at most {@link #PAGE} events a page, an opaque cursor,
 * null while there is no event). As the contract says, a poll returns at once when there is an event after
 * its cursor or the run has ended, and otherwise waits: a status change alone does not wake it.
 */
final class FakeRunApi implements AutoCloseable {

    static final int PAGE = 2;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RUN = Pattern.compile("/runs/([^/]+)");
    private static final Pattern EVENTS = Pattern.compile("/runs/([^/]+)/events");
    private static final List<String> TERMINAL =
            List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "EXPIRED", "REJECTED");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    // Guarded by this.
    private final ObjectNode run;
    private final List<ObjectNode> events = new ArrayList<>();
    private final List<String> afters = new ArrayList<>();
    private int failing;
    private int refusing;
    /** The start (index of its next event) of the poll waiting for an event; -1 while none waits. */
    private int parkedAt = -1;

    FakeRunApi(String runId, String threadId, String status, int attempts) throws IOException {
        run = JSON.createObjectNode().put("runId", runId).put("threadId", threadId).put("target", "hosted")
                .put("status", status).put("attempts", attempts).putNull("error")
                .put("createdAt", "2026-12-01T10:00:00.000Z");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    synchronized void status(String status, int attempts) {
        run.put("status", status).put("attempts", attempts);
        notifyAll();
    }

    /** Ends the run, with an error unless it succeeded. */
    synchronized void end(String status, String code, String message) {
        run.put("status", status).put("finishedAt", "2026-12-01T10:05:00.000Z");
        if (code != null) {
            run.putObject("error").put("code", code).put("message", message);
        }
        notifyAll();
    }

    synchronized void event(String type, String time, JsonNode data) {
        events.add(JSON.createObjectNode().put("type", type).put("attempt", run.get("attempts").asInt())
                .put("fenceToken", 3).put("time", time).set("data", data));
        notifyAll();
    }

    /** The next n events polls are refused 429 TooManyLongPolls with Retry-After: 1, as the API does past a caller's cap. */
    synchronized void refuseNextPolls(int n) {
        refusing = n;
    }

    /** The next n requests are answered 503. */
    synchronized void failNext(int n) {
        failing = n;
    }

    /** The {@code after} of every events poll, in order (null: none given). */
    synchronized List<String> afters() {
        return new ArrayList<>(afters);
    }

    /**
     * Waits until a poll that has every event so far waits for the next one: its caller has then printed
     * all it was given and has nothing else to do. The tests' synchronisation point, instead of sleeps.
     */
    synchronized void awaitCaughtUpPoll() throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (parkedAt != events.size()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("no poll is waiting");
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            synchronized (this) {
                if (failing > 0) {
                    failing--;
                    send(exchange, 503, error("ServiceUnavailable", "planned failure"));
                    return;
                }
            }
            Matcher m;
            if ((m = EVENTS.matcher(path)).matches() && known(m.group(1))) {
                synchronized (this) {
                    if (refusing > 0) {
                        refusing--;
                        exchange.getResponseHeaders().add("Retry-After", "1");
                        send(exchange, 429, error("TooManyLongPolls", "this caller already holds 10 long polls"));
                        return;
                    }
                }
                poll(exchange);
            } else if ((m = RUN.matcher(path)).matches() && known(m.group(1))) {
                ObjectNode copy;
                synchronized (this) {
                    copy = run.deepCopy();
                }
                send(exchange, 200, copy);
            } else if (RUN.matcher(path).matches() || EVENTS.matcher(path).matches()) {
                send(exchange, 404, error("RunNotFound", "no run " + URLDecoder.decode(
                        path.split("/")[2], StandardCharsets.UTF_8)));
            } else {
                send(exchange, 404, error("NotFound", "no route"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized boolean known(String rawRunId) {
        return URLDecoder.decode(rawRunId, StandardCharsets.UTF_8).equals(run.get("runId").asText());
    }

    private void poll(HttpExchange exchange) throws IOException, InterruptedException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        String after = query.get("after");
        int wait = Integer.parseInt(query.getOrDefault("waitSeconds", "0"));
        ObjectNode body = JSON.createObjectNode();
        ArrayNode page = body.putArray("events");
        synchronized (this) {
            afters.add(after);
            int from = after == null ? 0 : Integer.parseInt(after.substring("c".length()));
            long deadline = System.nanoTime() + Duration.ofSeconds(wait).toNanos();
            while (from == events.size() && !ended() && System.nanoTime() < deadline) {
                parkedAt = from;
                notifyAll();
                try {
                    wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                } finally {
                    parkedAt = -1;
                }
            }
            int to = Math.min(events.size(), from + PAGE);
            events.subList(from, to).forEach(page::add);
            if (to == 0) {
                body.putNull("cursor");
            } else {
                body.put("cursor", "c" + to);
            }
            body.put("status", run.get("status").asText()).put("ended", ended());
        }
        send(exchange, 200, body);
    }

    private boolean ended() {
        return TERMINAL.contains(run.get("status").asText());
    }

    @Override
    public void close() {
        synchronized (this) {
            notifyAll();
        }
        server.stop(0);
        executor.shutdownNow();
    }
}
