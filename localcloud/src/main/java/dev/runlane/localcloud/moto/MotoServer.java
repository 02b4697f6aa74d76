package dev.runlane.localcloud.moto;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A supervised moto server (tools/moto/runlane_moto.py): SQS, DynamoDB and Step Functions with
 * real execution. Its Task states call Lambda at {@code MOTO_PORT}, which we point at the edge.
 */
public final class MotoServer implements AutoCloseable {
    public static final String NOT_INSTALLED = "moto is not installed; run: pip install \"moto[server]\"";
    private static final Duration STARTUP_LIMIT = Duration.ofSeconds(90);

    private final Process process;
    private final URI uri;
    private final Path log;

    private MotoServer(Process process, URI uri, Path log) {
        this.process = process;
        this.uri = uri;
        this.log = log;
    }

    /**
     * @param taskEndpointPort where moto's Step Functions Tasks send their Lambda calls (the edge)
     * @param log moto's output goes here, not to the console
     */
    public static MotoServer start(Path launcher, int port, int taskEndpointPort, Path log) {
        if (!Files.isRegularFile(launcher)) {
            throw new MotoException("the moto launcher " + launcher + " is missing");
        }
        ProcessBuilder builder = new ProcessBuilder(List.of(python(), launcher.toString(), "--port", Integer.toString(port), "--execute"))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("MOTO_PORT", Integer.toString(taskEndpointPort));
        builder.environment().put("PYTHONUNBUFFERED", "1");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new MotoException("python3 is not installed; install Python 3, then run: pip install \"moto[server]\"");
        }
        MotoServer server = new MotoServer(process, URI.create("http://127.0.0.1:" + port), log);
        try {
            server.awaitReady();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static String python() {
        String configured = System.getenv("RUNLANE_PYTHON");
        return configured == null || configured.isBlank() ? "python3" : configured;
    }

    private void awaitReady() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Instant deadline = Instant.now().plus(STARTUP_LIMIT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                String output = output();
                if (output.contains("No module named") || output.contains("ModuleNotFoundError")) {
                    throw new MotoException(NOT_INSTALLED);
                }
                throw new MotoException("moto exited with code " + process.exitValue() + " at start; its output (" + log + "):\n" + output);
            }
            try {
                http.send(HttpRequest.newBuilder(uri.resolve("/moto-api/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (ConnectException e) {
                waitQuietly(100);
            } catch (IOException e) {
                waitQuietly(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MotoException("interrupted while waiting for moto");
            }
        }
        throw new MotoException("moto did not answer on " + uri + " within " + STARTUP_LIMIT.toSeconds() + " s (see " + log + ")");
    }

    /** Waiting for a child process to get ready is the one place we pause: there is nothing to block on. */
    private void waitQuietly(long millis) {
        try {
            process.waitFor(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String output() {
        try {
            return Files.readString(log).strip();
        } catch (IOException e) {
            return "";
        }
    }

    public URI uri() {
        return uri;
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** moto cannot be started; the message says what to do. */
    public static final class MotoException extends RuntimeException {
        public MotoException(String message) {
            super(message);
        }
    }
}
