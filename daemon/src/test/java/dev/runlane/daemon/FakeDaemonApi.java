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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plays the runlane daemon API contract for one daemon, in memory: frames kept until acknowledged, every
 * unacknowledged one in each poll (a long poll waits for one after the cursor), an acknowledgement that
 * answers which frames it removed, reports recorded, bearer authentication (401 unknown, 403 another
 * daemon's). Start frames carry the stack's heartbeat window ({@link #heartbeatSeconds(int)}). Tests steer
 * it: answer 409, 403, 404 or 500 to some reports, fail some polls or acks with 500, commit a frame late.
 */
final class FakeDaemonApi implements AutoCloseable {

    /** A report as received, and the status it was answered with. */
    record Report(String runId, JsonNode body, int status, Instant at) {
        String type() {
            return body.path("type").asText();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FRAMES = Pattern.compile("/daemons/([^/]+)/frames");
    private static final Pattern ACK = Pattern.compile("/daemons/([^/]+)/frames/ack");
    private static final Pattern REPORTS = Pattern.compile("/runs/([^/]+)/reports");

    private final String daemonId;
    private final Map<String, String> credentials = new HashMap<>();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    // Guarded by this.
    private final List<ObjectNode> frames = new ArrayList<>();
    private final Map<String, Instant> acked = new HashMap<>();
    private final List<Report> reports = new ArrayList<>();
    private final Set<String> conflicting = new HashSet<>();
    private final Set<String> endedRuns = new HashSet<>();
    private final Set<String> othersRuns = new HashSet<>();
    private final Set<String> unknownRuns = new HashSet<>();
    private final Map<String, Integer> failingReports = new HashMap<>();
    private final Map<String, Integer> slowReports = new HashMap<>();
    private Duration slowReportDelay = Duration.ZERO;
    private int failingPolls;
    private int refusedLongPolls;
    private boolean failingAcks;
    private int polls;
    private final List<Integer> pollWaits = new ArrayList<>();
    private int authFailures;
    private long nextSeq = 1;
    private int heartbeatSeconds = 30;

    FakeDaemonApi(String daemonId, String credential) throws IOException {
        this.daemonId = daemonId;
        credentials.put(credential, daemonId);
        credentials.put("rld_other", "other-daemon");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    String addStart(String runId, String threadId, long token, JsonNode input) {
        ObjectNode f = frame("start", runId, threadId, token);
        if (input != null) {
            f.set("input", input);
        }
        return add(f);
    }

    /** The heartbeat window that later start frames carry (the stack's HeartbeatSeconds); 0: none, as an older server. */
    synchronized void heartbeatSeconds(int seconds) {
        heartbeatSeconds = seconds;
    }

    /** Takes a frame id now for a frame committed later ({@link #addStartAt}): its id sorts before later frames'. */
    synchronized long reserveSeq() {
        return nextSeq++;
    }

    /** A start frame committed only now under an id taken earlier, as a dispatch whose write was retried. */
    String addStartAt(long seq, String runId, String threadId, long token) {
        return add(frame("start", runId, threadId, token), seq);
    }

    /** A start frame of a server that names its epoch (the backend's identity, new when it is reset). */
    String addStart(String runId, String threadId, String epoch, long token) {
        return add(frame("start", runId, threadId, token).put("epoch", epoch));
    }

    String addCancel(String runId, String threadId, long token) {
        return add(frame("cancel", runId, threadId, token));
    }

    /** Reports of this type for this run are answered 409 StaleFenceToken. */
    synchronized void answer409(String runId, String type) {
        conflicting.add(runId + "/" + type);
    }

    /** The run is dispatched to another daemon: its reports are answered 403 NotYourRun. */
    synchronized void othersRun(String runId) {
        othersRuns.add(runId);
    }

    /** The run has ended (as if timed out or cancelled): its reports are answered 409 RunEnded. */
    synchronized void endRun(String runId) {
        endedRuns.add(runId);
    }

    /** The API does not know the run: its reports are answered 404 RunNotFound. */
    synchronized void unknownRun(String runId) {
        unknownRuns.add(runId);
    }

    /** The next n reports of this type for this run are answered 500 (a transient failure). */
    synchronized void failNextReports(String runId, String type, int n) {
        failingReports.put(runId + "/" + type, n);
    }

    /** The next n reports of this type for this run are taken (202) at once but answered only after the delay. */
    synchronized void slowNextReports(String runId, String type, int n, Duration delay) {
        slowReports.put(runId + "/" + type, n);
        slowReportDelay = delay;
    }

    synchronized void failNextPolls(int n) {
        failingPolls = n;
    }

    /** The next n polls that would wait are refused 429 TooManyLongPolls (Retry-After: 1), as the API does past its cap. */
    synchronized void refuseNextLongPolls(int n) {
        refusedLongPolls = n;
    }

    synchronized void failAcks(boolean fail) {
        failingAcks = fail;
    }

    synchronized boolean isAcked(String frameId) {
        return acked.containsKey(frameId);
    }

    /** When the frame was first acknowledged; null while it is not. */
    synchronized Instant ackedAt(String frameId) {
        return acked.get(frameId);
    }

    synchronized List<Report> reports(String runId) {
        return reports.stream().filter(r -> r.runId().equals(runId)).toList();
    }

    synchronized List<Report> reports(String runId, String type) {
        return reports(runId).stream().filter(r -> r.type().equals(type)).toList();
    }

    /** The waitSeconds of each poll so far, in order. */
    synchronized List<Integer> pollWaits() {
        return List.copyOf(pollWaits);
    }

    synchronized int polls() {
        return polls;
    }

    synchronized int authFailures() {
        return authFailures;
    }

    private synchronized ObjectNode frame(String kind, String runId, String threadId, long token) {
        ObjectNode frame = JSON.createObjectNode().put("kind", kind).put("runId", runId).put("threadId", threadId)
                .put("fenceToken", token).put("createdAt", Instant.now().toString());
        if (kind.equals("start") && heartbeatSeconds > 0) {
            frame.put("heartbeatSeconds", heartbeatSeconds);
        }
        return frame;
    }

    private synchronized String add(ObjectNode frame) {
        return add(frame, nextSeq++);
    }

    private synchronized String add(ObjectNode frame, long seq) {
        String id = String.format("%08d-%s-%s", seq, frame.get("kind").asText(), frame.get("runId").asText());
        frame.put("frameId", id);
        frames.add(frame);
        notifyAll();
        return id;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            String caller = auth != null && auth.startsWith("Bearer ") ? credentials.get(auth.substring(7)) : null;
            if (caller == null) {
                synchronized (this) {
                    authFailures++;
                }
                send(exchange, 401, error("Unauthorized", "no or unknown credential"));
                return;
            }
            Matcher m;
            if ((m = ACK.matcher(path)).matches() && exchange.getRequestMethod().equals("POST")) {
                if (!m.group(1).equals(caller)) {
                    forbidden(exchange);
                    return;
                }
                ack(exchange);
            } else if ((m = FRAMES.matcher(path)).matches() && exchange.getRequestMethod().equals("GET")) {
                if (!m.group(1).equals(caller)) {
                    forbidden(exchange);
                    return;
                }
                poll(exchange);
            } else if ((m = REPORTS.matcher(path)).matches() && exchange.getRequestMethod().equals("POST")) {
                if (!caller.equals(daemonId)) {
                    forbidden(exchange);
                    return;
                }
                report(exchange, URLDecoder.decode(m.group(1), StandardCharsets.UTF_8));
            } else {
                send(exchange, 404, error("NotFound", "no route"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void forbidden(HttpExchange exchange) throws IOException {
        synchronized (this) {
            authFailures++;
        }
        send(exchange, 403, error("Forbidden", "another daemon's credential"));
    }

    private void poll(HttpExchange exchange) throws IOException, InterruptedException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        long after = query.containsKey("after") ? Long.parseLong(query.get("after")) : 0;
        int wait = Integer.parseInt(query.getOrDefault("waitSeconds", "0"));
        if (wait > 20) {
            send(exchange, 400, error("BadRequest", "waitSeconds above 20"));
            return;
        }
        ObjectNode body = JSON.createObjectNode();
        synchronized (this) {
            polls++;
            pollWaits.add(wait);
            if (failingPolls > 0) {
                failingPolls--;
                send(exchange, 500, error("InternalError", "planned failure"));
                return;
            }
            if (wait > 0 && refusedLongPolls > 0) {
                refusedLongPolls--;
                exchange.getResponseHeaders().add("Retry-After", "1");
                send(exchange, 429, error("TooManyLongPolls", "this caller already holds 2 long polls"));
                return;
            }
            long deadline = System.currentTimeMillis() + wait * 1000L;
            List<ObjectNode> page = pending();
            while (page.stream().noneMatch(f -> seqOf(f) > after) && System.currentTimeMillis() < deadline) {
                wait(Math.max(1, deadline - System.currentTimeMillis()));
                page = pending();
            }
            ArrayNode array = body.putArray("frames");
            long cursor = after;
            for (ObjectNode f : page) {
                array.add(f);
                cursor = Math.max(cursor, seqOf(f));
            }
            body.put("cursor", Long.toString(cursor));
        }
        send(exchange, 200, body);
    }

    /** Every unacknowledged frame, oldest (by id) first. */
    private List<ObjectNode> pending() {
        return frames.stream().filter(f -> !acked.containsKey(f.get("frameId").asText()))
                .sorted(java.util.Comparator.comparingLong(FakeDaemonApi::seqOf)).toList();
    }

    private static long seqOf(ObjectNode frame) {
        return Long.parseLong(frame.get("frameId").asText().substring(0, 8));
    }

    private void ack(HttpExchange exchange) throws IOException {
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode removed = answer.putArray("acknowledged");
        synchronized (this) {
            if (failingAcks) {
                send(exchange, 500, error("InternalError", "planned failure"));
                return;
            }
            Instant now = Instant.now();
            body.path("frameIds").forEach(id -> {
                if (acked.putIfAbsent(id.asText(), now) == null) {
                    removed.add(id.asText());
                }
            });
            notifyAll();
        }
        send(exchange, 200, answer);
    }

    private void report(HttpExchange exchange, String runId) throws IOException {
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        String type = body.path("type").asText();
        int status;
        ObjectNode answer = null;
        Duration delay = Duration.ZERO;
        synchronized (this) {
            if (failingReports.getOrDefault(runId + "/" + type, 0) > 0) {
                failingReports.merge(runId + "/" + type, -1, Integer::sum);
                status = 500;
                answer = error("InternalError", "planned failure");
            } else if (othersRuns.contains(runId)) {
                status = 403;
                answer = error("NotYourRun", "run " + runId + " is not dispatched to daemon " + daemonId);
            } else if (unknownRuns.contains(runId)) {
                status = 404;
                answer = error("RunNotFound", "no run " + runId);
            } else if (conflicting.contains(runId + "/" + type)) {
                status = 409;
                answer = error("StaleFenceToken", "a newer attempt holds the thread");
            } else if (endedRuns.contains(runId)) {
                status = 409;
                answer = error("RunEnded", "the run has ended");
            } else {
                status = 202;
                if (type.equals("succeeded") || type.equals("failed")) {
                    endedRuns.add(runId);
                }
            }
            reports.add(new Report(runId, body, status, Instant.now()));
            if (slowReports.getOrDefault(runId + "/" + type, 0) > 0) {
                slowReports.merge(runId + "/" + type, -1, Integer::sum);
                delay = slowReportDelay;
            }
        }
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (answer == null) {
            exchange.sendResponseHeaders(status, -1);
        } else {
            send(exchange, status, answer);
        }
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
