package dev.runlane.localcloud.lambda;

import dev.runlane.localcloud.faults.FaultKind;
import dev.runlane.localcloud.faults.Faults;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Lambda for the local cloud: runs each registered function in real sandboxes (JVMs with AWS's runtime interface
 * client) and serves their side of the Runtime API. The edge calls {@link #attachRuntimeApi} when it starts, since
 * sandboxes must be told where that API is.
 */
public final class LambdaService implements AutoCloseable {
    /** One class from each jar AWS's java21 runtime puts on the class path (the client and its dependencies). */
    private static final List<String> RUNTIME_CLASSES = List.of(
            "com/amazonaws/services/lambda/runtime/api/client/AWSLambda.class",
            "com/amazonaws/services/lambda/runtime/Context.class",
            "com/amazonaws/services/lambda/runtime/serialization/PojoSerializer.class",
            "software/amazon/awssdk/utilslite/SdkInternalThreadLocal.class");

    private final Path workDir;
    private final Consumer<String> log;
    private final Faults faults;
    private final int maxSandboxesPerFunction;
    private final List<Path> runtimeClasspath = runtimeClasspath();
    private final Map<String, FunctionPool> pools = new ConcurrentHashMap<>();
    private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
    private final Map<String, Path> taskRoots = new ConcurrentHashMap<>();
    private final AtomicLong sandboxIds = new AtomicLong();
    /** Sandboxes in INIT at once, across all functions: one per core. */
    private final Semaphore coldStarts = new Semaphore(Math.max(1, Runtime.getRuntime().availableProcessors()), true);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("lambda-timeouts").factory());
    private final ExecutorService events = Executors.newVirtualThreadPerTaskExecutor();
    private final Thread killOnExit = new Thread(this::killAll, "lambda-sandbox-reaper");
    private volatile String runtimeApi;
    private Path nativeClient;
    private volatile boolean closed;

    /** Logs through java.util.logging (logger {@code dev.runlane.localcloud.lambda}); no faults but those added to {@link #faults()}. */
    public LambdaService(Path workDir, int maxSandboxesPerFunction) {
        this(workDir, maxSandboxesPerFunction, Logger.getLogger("dev.runlane.localcloud.lambda")::info);
    }

    /** @param log receives one line per sandbox output line ({@code [Function] ...}) and a REPORT line per invocation */
    public LambdaService(Path workDir, int maxSandboxesPerFunction, Consumer<String> log) {
        this(workDir, maxSandboxesPerFunction, log, new Faults(LambdaService::functionName, log));
    }

    /** @param faults the faults to inject into invocations; the edge serves the same registry's admin API */
    public LambdaService(Path workDir, int maxSandboxesPerFunction, Consumer<String> log, Faults faults) {
        this.log = log;
        this.faults = faults;
        if (maxSandboxesPerFunction < 1) {
            throw new IllegalArgumentException("maxSandboxesPerFunction must be at least 1");
        }
        this.workDir = workDir.toAbsolutePath();
        this.maxSandboxesPerFunction = maxSandboxesPerFunction;
        // no orphan JVMs if the local cloud is stopped without close(); removed again by close()
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    public Faults faults() {
        return faults;
    }

    /** Where the sandboxes reach the Runtime API, as host:port (the edge calls this on start). */
    public void attachRuntimeApi(String hostAndPort) {
        this.runtimeApi = hostAndPort;
    }

    /** Adds a function, or replaces the one of the same name (its sandboxes are killed). */
    public void register(FunctionSpec spec) {
        Path taskRoot = taskRoot(spec.code());
        FunctionPool previous = pools.put(spec.name(), new FunctionPool(spec, maxSandboxesPerFunction, s -> launch(s, taskRoot), log, faults,
                coldStarts));
        if (previous != null) {
            previous.close();
        }
    }

    /** Starts one sandbox of every function in the background, so that no first invocation waits for an INIT. */
    public void prewarm() {
        pools.values().forEach(pool -> Thread.ofVirtual().name("prewarm-" + pool.spec.name()).start(pool::prewarm));
    }

    /** The function a name, ARN, partial ARN or qualified name/ARN ({@code :live}, {@code :1}) designates. */
    public FunctionSpec function(String nameOrArn) {
        return pool(nameOrArn).spec;
    }

    /**
     * Synchronous (RequestResponse) invocation; blocks until the function answered, failed or timed out.
     *
     * @throws InvokeRejectedException if Lambda refuses the call (unknown function, throttled, an injected fault)
     */
    public InvokeResult invoke(String nameOrArn, byte[] payload) {
        FunctionPool pool = pool(nameOrArn);
        // Event invocations are never refused: Lambda queues them and retries a throttle itself
        faults.fire(pool.spec.name(), FaultKind.THROTTLE, FaultKind.SNAP_START_NOT_READY, FaultKind.SNAP_START_TIMEOUT)
                .ifPresent(fault -> {
                    throw InvokeRejectedException.injected(fault.kind());
                });
        try {
            return pool.invoke(payload, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while invoking " + nameOrArn, e);
        }
    }

    /** Event invocation: queued, returns at once. Unlike Lambda, a failed event is logged, not retried. */
    public void invokeAsync(String nameOrArn, byte[] payload) {
        FunctionPool pool = pool(nameOrArn);
        events.execute(() -> {
            try {
                pool.invoke(payload, false);
            } catch (InterruptedException e) {
                // shutting down: queued events are dropped, as the local cloud's state is
            } catch (RuntimeException e) {
                log.accept("[" + pool.spec.name() + "] event invocation failed: " + e.getMessage());
            }
        });
    }

    /**
     * The edge forwards an AWS call signed with this access key id: if a sandbox made it while running an invocation
     * (not in INIT), it is counted there, and a crash fault for that call number may strike it.
     *
     * @param action e.g. {@code dynamodb:PutItem}
     */
    public Optional<Crash> awsCall(String accessKeyId, String action) {
        Sandbox sandbox = accessKeyId == null || !accessKeyId.startsWith(Sandbox.ACCESS_KEY_PREFIX) ? null
                : sandboxes.get(accessKeyId.substring(Sandbox.ACCESS_KEY_PREFIX.length()));
        Invocation invocation = sandbox == null ? null : sandbox.running();
        if (invocation == null) {
            return Optional.empty();
        }
        return faults.fire(sandbox.spec.name(), invocation.awsCall(action), FaultKind.CRASH)
                .map(fault -> new Crash(sandbox, invocation, fault.when()));
    }

    /**
     * A function's last invocations (at most 20 are kept), oldest first, with the AWS calls each made.
     *
     * @param function logical id, name or ARN, as faults name functions
     */
    public List<RecentInvocation> recentInvocations(String function, int last) {
        return pool(faults.functionName(function)).recent(last);
    }

    /** Runtime API {@code GET /invocation/next} for one sandbox; null if that sandbox is gone. */
    public NextInvocation awaitNext(String sandboxId) throws InterruptedException {
        Sandbox sandbox = sandboxes.get(sandboxId);
        return sandbox == null ? null : sandbox.next();
    }

    /** Runtime API {@code POST /invocation/{id}/response}; false if no such invocation is pending there. */
    public boolean postResponse(String sandboxId, String requestId, byte[] body) {
        Sandbox sandbox = sandboxes.get(sandboxId);
        return sandbox != null && sandbox.respond(requestId, body);
    }

    /** Runtime API {@code POST /invocation/{id}/error}, with the Lambda-Runtime-Function-Error-Type header if sent. */
    public boolean postError(String sandboxId, String requestId, byte[] body, String errorType) {
        Sandbox sandbox = sandboxes.get(sandboxId);
        return sandbox != null && sandbox.fail(requestId, body, errorType);
    }

    /** Runtime API {@code POST /init/error}: the sandbox is discarded and its pending invocation fails with this error. */
    public boolean postInitError(String sandboxId, byte[] body, String errorType) {
        Sandbox sandbox = sandboxes.get(sandboxId);
        if (sandbox == null) {
            return false;
        }
        sandbox.initFailed(body, errorType);
        return true;
    }

    @Override
    public void close() {
        closed = true;
        killAll();
        timer.shutdownNow();
        events.shutdownNow();
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
    }

    private void killAll() {
        pools.values().forEach(FunctionPool::close);
        sandboxes.values().forEach(Sandbox::kill);
    }

    private FunctionPool pool(String nameOrArn) {
        FunctionPool pool = pools.get(functionName(nameOrArn));
        if (pool == null) {
            throw new FunctionNotFoundException(nameOrArn);
        }
        return pool;
    }

    /** {@code arn:aws:lambda:r:a:function:Name:live}, {@code a:function:Name}, {@code Name:1} → {@code Name}. */
    public static String functionName(String nameOrArn) {
        String name = nameOrArn;
        int function = name.indexOf(":function:");
        if (function >= 0) {
            name = name.substring(function + ":function:".length());
        }
        int qualifier = name.indexOf(':');
        return qualifier >= 0 ? name.substring(0, qualifier) : name;
    }

    private Sandbox launch(FunctionSpec spec, Path taskRoot) throws IOException {
        if (closed) {
            throw new IllegalStateException("the local cloud is shutting down");
        }
        if (runtimeApi == null) {
            throw new IllegalStateException("no Runtime API attached: start the edge before invoking functions");
        }
        String id = spec.name() + "-" + sandboxIds.incrementAndGet();
        Sandbox sandbox = Sandbox.launch(id, spec, taskRoot, runtimeClasspath, nativeClient(), runtimeApi, timer, log);
        sandboxes.put(id, sandbox);
        sandbox.onExit(() -> sandboxes.remove(id));
        return sandbox;
    }

    /**
     * The runtime client's JNI library, unpacked once into the work directory. Left to itself, every
     * sandbox JVM copies it to the fixed path /tmp/.libaws-lambda-jni.so (on AWS each sandbox has its own
     * /tmp) and loads it from there: concurrent cold starts overwrite the file while another JVM maps it
     * and crash with SIGBUS in the dynamic loader. Null when this platform's library is not in the client
     * (the client then unpacks its own).
     */
    private synchronized Path nativeClient() throws IOException {
        if (nativeClient != null) {
            return nativeClient;
        }
        String arch = switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch_64";
            default -> null;
        };
        if (arch == null) {
            return null;
        }
        boolean musl = Files.exists(Path.of("/lib/ld-musl-" + (arch.equals("x86_64") ? "x86_64" : "aarch64") + ".so.1"));
        String name = "libaws-lambda-jni.linux" + (musl ? "_musl-" : "-") + arch + ".so";
        try (InputStream library = LambdaService.class.getClassLoader().getResourceAsStream("jni/" + name)) {
            if (library == null) {
                return null;
            }
            Path dir = Files.createDirectories(workDir.resolve("runtime"));
            Path partial = Files.createTempFile(dir, "jni-", ".so");
            Files.copy(library, partial, StandardCopyOption.REPLACE_EXISTING);
            nativeClient = Files.move(partial, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return nativeClient;
        }
    }

    /** Unzips each distinct function.zip once (by content), shared by every function built from it. */
    private Path taskRoot(Path zip) {
        String digest = sha256(zip);
        return taskRoots.computeIfAbsent(digest, d -> {
            Path target = workDir.resolve("code").resolve(d.substring(0, 16));
            if (Files.isDirectory(target)) {
                return target;
            }
            try {
                Files.createDirectories(target.getParent());
                Path partial = Files.createTempDirectory(target.getParent(), "unzip-");
                unzip(zip, partial);
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
                return target;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot unpack " + zip, e);
            }
        });
    }

    private static void unzip(Path zip, Path target) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                Path file = target.resolve(entry.getName()).normalize();
                if (!file.startsWith(target)) {
                    throw new IOException("zip entry outside the archive root: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(file);
                } else {
                    Files.createDirectories(file.getParent());
                    Files.copy(in, file);
                }
            }
        }
    }

    private static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read function code " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The runtime client's jars, found where this JVM loaded them (target/lib, or the test class path). */
    private static List<Path> runtimeClasspath() {
        List<Path> jars = new ArrayList<>();
        for (String resource : RUNTIME_CLASSES) {
            URL url = LambdaService.class.getClassLoader().getResource(resource);
            if (url == null || !"jar".equals(url.getProtocol())) {
                throw new IllegalStateException("the Lambda runtime interface client is not on the class path (missing " + resource + ")");
            }
            String file = url.getPath().substring(0, url.getPath().indexOf("!/"));
            jars.add(Path.of(URI.create(file)));
        }
        return List.copyOf(jars);
    }
}
