package dev.runlane.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Which command runs in which working directory, on disk ({@code <root>/.runlane/running/<threadId>}:
 * pid and process start time), so that a daemon restarted after a crash can kill a command its
 * predecessor left running before anything else runs in that directory. The start time guards against
 * a recycled pid.
 */
public final class RunningRecords {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Log log;

    public RunningRecords(Path root, Log log) {
        this.dir = root.resolve(".runlane").resolve("running");
        this.log = log;
    }

    /** Records the run's process; a failure is logged (the run goes on, only crash recovery is weaker). */
    public void record(String threadId, RunRef ref, ProcessHandle process) {
        try {
            Files.createDirectories(dir);
            ObjectNode node = JSON.createObjectNode().put("pid", process.pid()).put("runId", ref.runId())
                    .put("fenceToken", ref.fenceToken());
            process.info().startInstant().ifPresent(at -> node.put("startedAt", at.toString()));
            Path tmp = Files.createTempFile(dir, "." + threadId + ".", ".tmp");
            try {
                Files.write(tmp, JSON.writeValueAsBytes(node));
                Files.move(tmp, file(threadId), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            log.warn(ref + ": could not record the running command (" + Log.oneLine(e.getMessage()) + ")");
        }
    }

    /** Forgets the directory's record once the run's command has ended, unless another run's replaced it. */
    public void clear(String threadId, String runId) {
        try {
            JsonNode node = JSON.readTree(Files.readAllBytes(file(threadId)));
            if (node != null && runId.equals(node.path("runId").asText())) {
                clear(threadId);
            }
        } catch (IOException e) {
            // no record (or an unreadable one, replaced at the next start)
        }
    }

    private void clear(String threadId) {
        try {
            Files.deleteIfExists(file(threadId));
        } catch (IOException e) {
            log.warn("thread " + threadId + ": could not remove the running record (" + Log.oneLine(e.getMessage()) + ")");
        }
    }

    /** Kills every command a previous daemon left running under this root; called once at start. */
    public void killLeftovers(Duration grace) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String threadId = file.getFileName().toString();
                if (WorkingDirectories.isValidThreadId(threadId)) {
                    leftover(file).ifPresent(p -> {
                        log.warn("thread " + threadId + ": a previous daemon left pid " + p.pid()
                                + " running in its working directory, killing its process tree");
                        if (!ProcessTree.kill(p, grace)) {
                            log.error("thread " + threadId + ": pid " + p.pid() + " survived SIGKILL");
                        }
                    });
                    clear(threadId);
                }
            }
        } catch (IOException e) {
            log.warn("could not read " + dir + " (" + Log.oneLine(e.getMessage()) + ")");
        }
    }

    private Optional<ProcessHandle> leftover(Path file) {
        try {
            JsonNode node = JSON.readTree(Files.readAllBytes(file));
            Optional<ProcessHandle> process = ProcessHandle.of(node.path("pid").asLong(-1));
            if (process.isEmpty() || !ProcessTree.isRunning(process.get())) {
                return Optional.empty();
            }
            Optional<Instant> started = process.get().info().startInstant();
            String recorded = node.path("startedAt").asText(null);
            if (recorded == null || started.isEmpty() || !started.get().toString().equals(recorded)) {
                return Optional.empty(); // the pid was recycled by another process, or cannot be told apart
            }
            return process;
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private Path file(String threadId) {
        return dir.resolve(threadId);
    }
}
