package dev.runlane.daemon;

import dev.runlane.runs.RunIds;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The threads' working directories under the root ({@code <root>/<threadId>}), and their exclusivity:
 * everything that starts or stops a command in one directory runs in that directory's lane, one task
 * after the other, and a directory has at most one command at a time. Different directories are
 * independent.
 */
public final class WorkingDirectories {

    private final Path root;
    private final Executor executor;
    private final Map<String, CompletableFuture<Void>> lanes = new HashMap<>();
    private final Map<String, CommandRun> current = new HashMap<>();

    public WorkingDirectories(Path root, Executor executor) {
        this.root = root.toAbsolutePath().normalize();
        this.executor = executor;
    }

    /** A thread id the API accepts, which is also a plain directory name ({@link Ids}). */
    public static boolean isValidThreadId(String threadId) {
        return RunIds.isValid(threadId);
    }

    /** The thread's working directory; refuses any thread id that is not a plain name. */
    public Path of(String threadId) {
        if (!isValidThreadId(threadId)) {
            throw new IllegalArgumentException("invalid thread id '" + Log.oneLine(threadId) + "'");
        }
        Path dir = root.resolve(threadId).normalize();
        if (!root.equals(dir.getParent())) {
            throw new IllegalArgumentException("invalid thread id '" + Log.oneLine(threadId) + "'");
        }
        return dir;
    }

    /**
     * The thread's working directory, created if missing. Refused when it is not a directory of the root itself
     * (a symbolic link at {@code <root>/<threadId>}, or a root whose real path moved): a command must not work
     * outside the root.
     */
    public Path create(String threadId) throws IOException {
        Path dir = Files.createDirectories(of(threadId));
        Path real = dir.toRealPath();
        if (Files.isSymbolicLink(dir) || !real.getParent().equals(root.toRealPath())) {
            throw new IOException(dir + " leads out of the daemon's root (" + real + ")");
        }
        return dir;
    }

    /**
     * Runs the task in the thread's lane, after every task queued for that thread before it. A task
     * that throws does not stop the lane.
     */
    public synchronized CompletableFuture<Void> inLane(String threadId, Runnable task) {
        CompletableFuture<Void> tail = lanes.getOrDefault(threadId, CompletableFuture.completedFuture(null));
        CompletableFuture<Void> next = tail.handle((ok, failure) -> null).thenRunAsync(task, executor);
        lanes.put(threadId, next);
        // Forget a finished lane so that the map does not grow with every thread ever seen.
        next.whenComplete((ok, failure) -> {
            synchronized (this) {
                lanes.remove(threadId, next);
            }
        });
        return next;
    }

    /** The command that runs (or last ran) in the thread's directory; call from the thread's lane. */
    public synchronized CommandRun current(String threadId) {
        return current.get(threadId);
    }

    /**
     * Makes the run the directory's command; no process of the previous one may still run (a killed command's
     * tree included). Call from the thread's lane.
     */
    public synchronized void occupy(String threadId, CommandRun run) {
        CommandRun previous = current.get(threadId);
        if (previous != null && previous.mayStillRun()) {
            throw new IllegalStateException("a command still runs in " + threadId);
        }
        current.put(threadId, run);
    }

    /** Forgets the run once it has ended, if it is still the directory's command. */
    public synchronized void release(String threadId, CommandRun run) {
        current.remove(threadId, run);
    }

    /** Every command that may still run. */
    public synchronized List<CommandRun> all() {
        return new ArrayList<>(current.values());
    }

    /** Whether any lane has a task queued or running (a start, a command, its reports). */
    public synchronized boolean busy() {
        return !lanes.isEmpty();
    }

    /** Completes when every task queued so far in every lane has run. */
    public synchronized CompletableFuture<Void> idle() {
        return CompletableFuture.allOf(lanes.values().toArray(CompletableFuture[]::new)).handle((ok, failure) -> null);
    }
}
