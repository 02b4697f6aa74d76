package dev.runlane.localcloud.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One Lambda execution environment: a JVM running AWS's runtime interface client against the edge's Runtime API.
 * It handles one invocation at a time; the pool decides which sandbox gets which invocation.
 */
final class Sandbox {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Lambda gives init 10 s, then retries it inside the invoke phase under the function timeout. */
    private static final long INIT_ALLOWANCE_MS = 10_000;
    private static final String MAIN_CLASS = "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";
    /** A sandbox signs its AWS calls with this prefix and its id as access key id, which tells the edge whose call it is. */
    static final String ACCESS_KEY_PREFIX = "sandbox-";

    final String id;
    final FunctionSpec spec;
    private final Process process;
    private final long launchedNanos = System.nanoTime();
    /** Where the runtime client loads its JNI library from instead of unpacking it to /tmp/.libaws-lambda-jni.so. */
    static final String NATIVE_CLIENT_PROPERTY = "com.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI";

    private final ScheduledExecutorService timer;
    private final Consumer<String> log;
    private final BlockingQueue<Invocation> inbox = new LinkedBlockingQueue<>();
    private volatile Invocation current;
    private volatile long initNanos = -1;
    /** Completes when the runtime has initialised (first asked for work) or the sandbox died first. */
    private final java.util.concurrent.CompletableFuture<Void> initialized = new java.util.concurrent.CompletableFuture<>();
    private volatile byte[] initError;
    private volatile boolean dead;
    private volatile boolean faultKilled;
    private ScheduledFuture<?> watchdog;

    private Sandbox(String id, FunctionSpec spec, Process process, ScheduledExecutorService timer, Consumer<String> log) {
        this.id = id;
        this.log = log;
        this.spec = spec;
        this.process = process;
        this.timer = timer;
    }

    /**
     * @param nativeClient the runtime client's JNI library, unpacked once for all sandboxes (null: the client
     *     unpacks its own, to a fixed /tmp path that concurrent cold starts overwrite under each other)
     */
    static Sandbox launch(String id, FunctionSpec spec, Path taskRoot, List<Path> runtimeClasspath, Path nativeClient,
                          String runtimeApi, ScheduledExecutorService timer, Consumer<String> log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED"); // the client loads its JNI library
        // Quarkus' thread pool resets thread locals reflectively; from Java 24 on (the local JDK may be newer
        // than Lambda's java21) that needs java.lang opened, or every sandbox logs an error when it stops.
        command.add("--add-opens=java.base/java.lang=ALL-UNNAMED");
        if (nativeClient != null) {
            command.add("-D" + NATIVE_CLIENT_PROPERTY + "=" + nativeClient);
        }
        command.add("-cp");
        command.add(String.join(java.io.File.pathSeparator, runtimeClasspath.stream().map(Path::toString).toList()));
        command.add(MAIN_CLASS);
        command.add(spec.handler());
        // As on AWS, the client loads the function from its working directory (the task root) and lib/*.jar there.
        ProcessBuilder builder = new ProcessBuilder(command).directory(taskRoot.toFile()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        String path = env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.clear(); // a sandbox sees the function's variables, not the developer's shell
        env.put("PATH", path);
        env.put("LANG", "en_US.UTF-8");
        env.putAll(spec.environment());
        env.put("JAVA_TOOL_OPTIONS", jvmOptions(spec));
        env.put("AWS_LAMBDA_FUNCTION_NAME", spec.name());
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(spec.memoryMb()));
        env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + spec.name());
        env.put("AWS_LAMBDA_LOG_STREAM_NAME", LocalDate.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy/MM/dd"))
                + "/[$LATEST]" + HexFormat.of().formatHex(randomBytes(16)));
        env.put("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
        env.put("AWS_LAMBDA_RUNTIME_API", runtimeApi + "/sandbox/" + id);
        env.put("_HANDLER", spec.handler());
        env.put("LAMBDA_TASK_ROOT", taskRoot.toString());
        env.put("TZ", ":UTC");
        env.put("AWS_EXECUTION_ENV", "AWS_Lambda_java21");
        // Lambda sets the credentials itself; moto enforces no auth and maps unknown keys to the one account
        env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY_PREFIX + id);
        env.putIfAbsent("AWS_SECRET_ACCESS_KEY", "local");
        Sandbox sandbox = new Sandbox(id, spec, builder.start(), timer, log);
        sandbox.streamLogs();
        sandbox.process.onExit().thenRun(sandbox::exited);
        return sandbox;
    }

    /** Heap from the memory size as AWS's java21 runtime does; the function's own JAVA_TOOL_OPTIONS come last, so they win. */
    private static String jvmOptions(FunctionSpec spec) {
        String own = spec.environment().getOrDefault("JAVA_TOOL_OPTIONS", "");
        return ("-Xmx" + spec.memoryMb() * 85 / 100 + "m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 " + own).strip();
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    private void streamLogs() {
        Thread.ofVirtual().name("sandbox-log-" + id).start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    log.accept("[" + spec.name() + "] " + line);
                    Invocation invocation = current;
                    if (invocation != null) {
                        invocation.appendLog(line);
                    }
                }
            } catch (IOException e) {
                // the process was killed: its pipe is gone, nothing more to read
            }
        });
    }

    void onExit(Runnable action) {
        process.onExit().thenRun(action);
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return !dead && process.isAlive();
    }

    /** Launch until the runtime first asked for work (or until now if it never did). */
    double initMillis() {
        long nanos = initNanos >= 0 ? initNanos : System.nanoTime() - launchedNanos;
        return nanos / 1e6;
    }

    void dispatch(Invocation invocation, boolean cold) {
        current = invocation;
        long limitMs = spec.timeoutSeconds() * 1000L + (cold ? INIT_ALLOWANCE_MS : 0);
        rearm(invocation, limitMs);
        inbox.add(invocation);
        if (dead) { // died between being picked from the pool and now
            exited();
        }
    }

    /** Runtime API {@code GET /invocation/next}: blocks until work arrives; null once the sandbox is gone. */
    NextInvocation next() throws InterruptedException {
        if (initNanos < 0) {
            initNanos = System.nanoTime() - launchedNanos;
            initialized.complete(null);
        }
        while (!dead) {
            Invocation invocation = inbox.poll(1, TimeUnit.SECONDS);
            if (invocation != null) {
                invocation.startedNanos = System.nanoTime();
                long timeoutMs = spec.timeoutSeconds() * 1000L;
                rearm(invocation, timeoutMs);
                if (invocation.killAfterMs >= 0) {
                    timer.schedule(() -> { faultKill(invocation); }, invocation.killAfterMs, TimeUnit.MILLISECONDS);
                }
                String traceId = "Root=1-%08x-%s;Parent=%s;Sampled=0".formatted(System.currentTimeMillis() / 1000,
                        HexFormat.of().formatHex(randomBytes(12)), HexFormat.of().formatHex(randomBytes(8)));
                return new NextInvocation(invocation.requestId, System.currentTimeMillis() + timeoutMs, spec.arn(),
                        traceId, invocation.payload);
            }
        }
        return null;
    }

    /** The invocation the runtime picked up and has not answered yet; null in INIT and between invocations. */
    Invocation running() {
        Invocation invocation = current;
        return invocation != null && invocation.startedNanos != 0 ? invocation : null;
    }

    boolean respond(String requestId, byte[] body) {
        return finish(requestId, 200, null, body);
    }

    boolean fail(String requestId, byte[] body, String errorTypeHeader) {
        return finish(requestId, 200, "Unhandled", errorBody(body, errorTypeHeader, "Unhandled"));
    }

    /** The runtime could not initialise: the pending invocation fails with that error and the sandbox is discarded. */
    void initFailed(byte[] body, String errorTypeHeader) {
        initError = errorBody(body, errorTypeHeader, "Runtime.Unknown");
        kill();
    }

    private boolean finish(String requestId, int status, String functionError, byte[] body) {
        Invocation invocation = current;
        if (invocation == null || !invocation.requestId.equals(requestId)) {
            return false;
        }
        if (invocation.killAfterMs >= 0) {
            return true; // a kill fault strikes before the answer leaves the sandbox: the caller only sees the crash
        }
        disarm();
        current = null;
        return invocation.finish(status, functionError, body);
    }

    private synchronized void rearm(Invocation invocation, long delayMs) {
        disarm();
        watchdog = timer.schedule(() -> timedOut(invocation), delayMs, TimeUnit.MILLISECONDS);
    }

    private synchronized void disarm() {
        if (watchdog != null) {
            watchdog.cancel(false);
            watchdog = null;
        }
    }

    private void timedOut(Invocation invocation) {
        if (current != invocation) {
            return;
        }
        String message = "RequestId: %s Error: Task timed out after %d.00 seconds".formatted(invocation.requestId, spec.timeoutSeconds());
        log.accept("[" + spec.name() + "] " + message);
        invocation.appendLog(message);
        current = null;
        kill();
        invocation.finish(200, "Unhandled", errorJson("Sandbox.Timedout", message));
    }

    /** Kills the sandbox for a fault if it still runs this invocation; false if it has moved on. */
    boolean faultKill(Invocation invocation) {
        if (current != invocation) {
            return false;
        }
        faultKilled = true;
        log.accept("[" + spec.name() + "] fault: killing sandbox " + id + " (pid " + process.pid() + ")");
        kill();
        return true;
    }

    /** Whether a fault killed it (not a timeout or its own exit). */
    boolean faultKilled() {
        return faultKilled;
    }

    /** Completes once INIT is over: the runtime asked for its first invocation, or the sandbox died. */
    java.util.concurrent.CompletionStage<Void> initialized() {
        return initialized;
    }

    private void exited() {
        dead = true;
        initialized.complete(null);
        disarm();
        Invocation invocation = current;
        if (invocation == null) {
            return;
        }
        current = null;
        byte[] body = initError;
        if (body == null) {
            String message = "RequestId: %s Error: Runtime exited with error: %s".formatted(invocation.requestId,
                    exitReason(process.isAlive() ? -1 : process.exitValue()));
            body = errorJson("Runtime.ExitError", message);
        }
        invocation.finish(200, "Unhandled", body);
    }

    /** As Lambda's runtime reports it: Java gives 128 + N for a process that signal N ended. */
    static String exitReason(int exitValue) {
        if (exitValue <= 128) {
            return "exit status " + exitValue;
        }
        return switch (exitValue - 128) {
            case 6 -> "signal: aborted";
            case 9 -> "signal: killed";
            case 11 -> "signal: segmentation fault";
            case 15 -> "signal: terminated";
            default -> "signal " + (exitValue - 128);
        };
    }

    /** Kills the whole process tree; the exit handler then fails whatever invocation was pending. */
    void kill() {
        dead = true;
        List<ProcessHandle> tree = process.descendants().toList();
        process.destroyForcibly();
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    void awaitExit(long millis) {
        try {
            process.onExit().get(millis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.accept("sandbox " + id + " of " + spec.name() + " (pid " + process.pid() + ") did not exit in time");
        }
    }

    /** Passes a runtime's error JSON through as Lambda does; anything else is wrapped in Lambda's error shape. */
    static byte[] errorBody(byte[] body, String errorTypeHeader, String fallbackType) {
        try {
            if (body != null && body.length > 0 && JSON.readTree(body) instanceof ObjectNode) {
                return body;
            }
        } catch (IOException e) {
            // not JSON: wrapped below
        }
        String type = errorTypeHeader != null && !errorTypeHeader.isBlank() ? errorTypeHeader : fallbackType;
        return errorJson(type, body == null ? "" : new String(body, StandardCharsets.UTF_8));
    }

    static byte[] errorJson(String type, String message) {
        ObjectNode node = JSON.createObjectNode().put("errorType", type).put("errorMessage", message);
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
