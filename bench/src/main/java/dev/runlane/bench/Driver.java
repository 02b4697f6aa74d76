package dev.runlane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;

/**
 * Runs a scenario through the HTTP API, as a user would, and reads the outcome straight from the
 * stack's storage (moto, not the edge), so that watching adds nothing to the counts being billed.
 */
final class Driver {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL = Duration.ofMillis(500);
    /** Clients submitting at once: as many as the API function has sandboxes; more only queue in front of them. */
    private static final int SUBMITTERS = 8;
    private static final int SUBMIT_TRIES = 3;

    private final URI api;
    private final DynamoDbClient dynamo;
    private final SfnClient sfn;
    private final String runsTable;
    private final String daemonId;
    private final Consumer<String> progress;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Driver(URI api, DynamoDbClient dynamo, SfnClient sfn, String runsTable, String daemonId, Consumer<String> progress) {
        this.api = api;
        this.dynamo = dynamo;
        this.sfn = sfn;
        this.runsTable = runsTable;
        this.daemonId = daemonId;
        this.progress = progress;
    }

    /** Submits every run (each thread's in order, the threads at once), then waits until all have ended. */
    List<RunRecord> run(Scenario scenario, String prefix, Duration bound) throws InterruptedException {
        List<List<RunRecord>> threads = new ArrayList<>();
        for (int t = 0; t < scenario.threads(); t++) {
            List<RunRecord> runs = new ArrayList<>();
            for (int i = 0; i < scenario.runsPerThread(); i++) {
                String target = scenario.target().equals("mixed") ? (i % 2 == 0 ? "hosted" : "desktop") : scenario.target();
                runs.add(new RunRecord(prefix + "-t" + t, i, target));
            }
            threads.add(runs);
        }
        java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(SUBMITTERS);
        java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
        try (ExecutorService submitters = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> submitted = new ArrayList<>();
            for (List<RunRecord> thread : threads) {
                submitted.add(submitters.submit(() -> {
                    for (RunRecord run : thread) {
                        slots.acquire();
                        try {
                            submit(scenario, run);
                            if (started.incrementAndGet() % 100 == 0) {
                                progress.accept("  " + scenario.name() + ": " + started.get() + "/" + scenario.runs() + " runs started");
                            }
                        } finally {
                            slots.release();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : submitted) {
                try {
                    future.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("submitting " + scenario.name() + " failed: " + e.getCause().getMessage(), e.getCause());
                }
            }
        }
        List<RunRecord> all = threads.stream().flatMap(List::stream).toList();
        awaitEnd(scenario, all, bound);
        all.forEach(this::readHistory);
        return all;
    }

    private void submit(Scenario scenario, RunRecord run) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("target", run.target);
        if (run.target.equals("desktop")) {
            body.put("daemonId", daemonId);
        }
        body.set("input", JSON.readTree(run.target.equals("desktop") ? Scenario.DESKTOP : scenario.inputJson()));
        // The key makes a retry of a timed-out start safe: it names the same run.
        HttpRequest request = HttpRequest.newBuilder(api.resolve("/threads/" + run.threadId + "/runs"))
                .header("content-type", "application/json").header("idempotency-key", "bench-" + run.index)
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        for (int tries = 1; ; tries++) {
            long start = System.nanoTime();
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                run.apiMs = (System.nanoTime() - start) / 1e6;
                if (response.statusCode() / 100 == 2) {
                    run.runId = JSON.readTree(response.body()).path("runId").asText();
                    return;
                }
                if (response.statusCode() < 500 || tries == SUBMIT_TRIES) {
                    throw new IOException("POST /threads/" + run.threadId + "/runs answered " + response.statusCode() + " " + response.body());
                }
            } catch (java.net.http.HttpTimeoutException timedOut) {
                if (tries == SUBMIT_TRIES) {
                    throw timedOut;
                }
            }
            progress.accept("  retrying the start of " + run.threadId + " run " + run.index + " (try " + (tries + 1) + ")");
        }
    }

    private void awaitEnd(Scenario scenario, List<RunRecord> runs, Duration bound) throws InterruptedException {
        Instant deadline = Instant.now().plus(bound);
        Map<String, RunRecord> open = new HashMap<>();
        runs.forEach(run -> open.put(run.runId, run));
        int lastReported = -1;
        while (!open.isEmpty()) {
            List<String> ids = new ArrayList<>(open.keySet());
            for (int from = 0; from < ids.size(); from += 100) {
                List<Map<String, AttributeValue>> keys = ids.subList(from, Math.min(ids.size(), from + 100)).stream()
                        .map(id -> Map.of("runId", AttributeValue.fromS(id))).toList();
                Map<String, KeysAndAttributes> request = Map.of(runsTable, KeysAndAttributes.builder().keys(keys).consistentRead(true).build());
                while (!request.isEmpty()) {
                    Map<String, KeysAndAttributes> asked = request;
                    var response = dynamo.batchGetItem(r -> r.requestItems(asked));
                    for (Map<String, AttributeValue> item : response.responses().getOrDefault(runsTable, List.of())) {
                        RunRecord run = open.get(item.get("runId").s());
                        read(run, item);
                        if (run.ended()) {
                            open.remove(run.runId);
                        }
                    }
                    request = response.hasUnprocessedKeys() ? response.unprocessedKeys() : Map.of();
                }
            }
            int done = runs.size() - open.size();
            if (done != lastReported) {
                progress.accept(String.format("  %s: %d/%d runs ended", scenario.name(), done, runs.size()));
                lastReported = done;
            }
            if (open.isEmpty()) {
                break;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(scenario.name() + ": " + open.size() + " runs still not ended after " + bound);
            }
            Thread.sleep(POLL.toMillis()); // a poll interval, not a synchronisation: the loop reads the state again
        }
    }

    private static void read(RunRecord run, Map<String, AttributeValue> item) {
        run.status = text(item, "status");
        run.attempts = item.containsKey("attempts") ? Integer.parseInt(item.get("attempts").n()) : 0;
        run.executionArn = text(item, "executionArn");
        run.createdAt = time(item, "createdAt");
        run.startedAt = time(item, "startedAt");
        run.finishedAt = time(item, "finishedAt");
    }

    /** The execution's start, the dispatch task's end, and the state transitions it was billed (retries count). */
    private void readHistory(RunRecord run) {
        if (run.executionArn == null) {
            return;
        }
        List<HistoryEvent> events = new ArrayList<>();
        sfn.getExecutionHistoryPaginator(r -> r.executionArn(run.executionArn).maxResults(1000)).events().forEach(events::add);
        int entered = 0;
        int taskEntered = 0;
        int scheduled = 0;
        for (HistoryEvent event : events) {
            String type = event.typeAsString();
            if (type.equals("ExecutionStarted")) {
                run.executionStartedAt = event.timestamp();
            }
            if (type.endsWith("StateEntered")) {
                entered++;
                if (type.equals("TaskStateEntered")) {
                    taskEntered++;
                    String state = event.stateEnteredEventDetails().name();
                    if (state.startsWith("Record") && run.agentEndedAt == null) {
                        run.agentEndedAt = event.timestamp();
                    }
                }
            }
            if (type.equals("TaskScheduled") || type.equals("LambdaFunctionScheduled")) {
                scheduled++;
            }
        }
        run.transitions = entered + Math.max(0, scheduled - taskEntered);
    }

    private static String text(Map<String, AttributeValue> item, String name) {
        AttributeValue value = item.get(name);
        return value == null ? null : value.s();
    }

    private static Instant time(Map<String, AttributeValue> item, String name) {
        String value = text(item, name);
        return value == null ? null : Instant.parse(value);
    }

    /** Registers the bench's daemon; returns its credential. */
    String registerDaemon() throws IOException, InterruptedException {
        return registerDaemon(daemonId);
    }

    String registerDaemon(String daemonId) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(api.resolve("/daemons"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("daemonId", daemonId).toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        if (response.statusCode() != 201 || !body.path("credential").isTextual()) {
            throw new IOException("registering daemon " + daemonId + " answered " + response.statusCode() + " " + response.body());
        }
        return body.path("credential").asText();
    }

    /** One frames poll of a daemon that has no frames; returns the HTTP status. */
    int pollFrames(String daemonId, String credential, int waitSeconds) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(api.resolve("/daemons/" + daemonId + "/frames?waitSeconds=" + waitSeconds))
                .header("authorization", "Bearer " + credential).timeout(Duration.ofSeconds(waitSeconds + 30L)).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
