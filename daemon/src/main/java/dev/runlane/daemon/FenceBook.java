package dev.runlane.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The highest fence token this daemon has admitted per working directory, and the run it was admitted
 * for, persisted under {@code <root>/.runlane/fence/<threadId>} so that a restarted daemon keeps them.
 * A token is written (temp file, fsync, atomic rename) <em>before</em> its command starts: the daemon
 * never runs anything its book does not already remember.
 */
public final class FenceBook {

    /** What {@link #admit} decided for a start frame. */
    public enum Admission {
        /** Higher than anything seen for the directory: recorded, run it. */
        ADMITTED,
        /** Lower than the highest seen: an older attempt, refuse it. */
        STALE,
        /** The very run already admitted under this token (a frame seen twice): do not run it again. */
        DUPLICATE,
        /** The highest token, but for another run: the server never does this, refuse it. */
        CONFLICT
    }

    /** The highest token of a directory and the run admitted under it. */
    public record Entry(long token, String runId) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Map<String, Optional<Entry>> cache = new HashMap<>();

    public FenceBook(Path root) {
        this.dir = root.resolve(".runlane").resolve("fence");
    }

    /** The highest token admitted for the thread's directory, if any. */
    public synchronized Optional<Entry> highest(String threadId) {
        return load(threadId);
    }

    /**
     * Decides a start frame without recording anything: {@link Admission#ADMITTED} means {@link #admit} would
     * admit it. The daemon checks first and admits only once the API has confirmed the run (or ended it).
     *
     * @throws UncheckedIOException when the book cannot be read: the caller must not run
     */
    public synchronized Admission check(String threadId, long token, String runId) {
        Optional<Entry> current = load(threadId);
        if (current.isPresent()) {
            Entry e = current.get();
            if (token < e.token()) {
                return Admission.STALE;
            }
            if (token == e.token()) {
                return e.runId().equals(runId) ? Admission.DUPLICATE : Admission.CONFLICT;
            }
        }
        return Admission.ADMITTED;
    }

    /**
     * Decides a start frame and, when admitted, persists its token before returning.
     *
     * @throws UncheckedIOException when the book cannot be read or written: the caller must not run
     */
    public synchronized Admission admit(String threadId, long token, String runId) {
        Admission admission = check(threadId, token, runId);
        if (admission != Admission.ADMITTED) {
            return admission;
        }
        Entry entry = new Entry(token, runId);
        store(threadId, entry);
        cache.put(threadId, Optional.of(entry));
        return Admission.ADMITTED;
    }

    private Optional<Entry> load(String threadId) {
        Optional<Entry> cached = cache.get(threadId);
        if (cached != null) {
            return cached;
        }
        Path file = fileOf(threadId);
        Optional<Entry> entry;
        try {
            JsonNode node = JSON.readTree(Files.readAllBytes(file));
            if (node == null || !node.path("token").isIntegralNumber() || !node.path("runId").isTextual()) {
                throw new IOException("unreadable fence file " + file);
            }
            entry = Optional.of(new Entry(node.get("token").asLong(), node.get("runId").asText()));
        } catch (NoSuchFileException e) {
            entry = Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the fence file " + file + ": " + e.getMessage(), e);
        }
        cache.put(threadId, entry);
        return entry;
    }

    private void store(String threadId, Entry entry) {
        Path file = fileOf(threadId);
        try {
            Files.createDirectories(dir);
            ObjectNode node = JSON.createObjectNode().put("token", entry.token()).put("runId", entry.runId());
            Path tmp = Files.createTempFile(dir, "." + threadId + ".", ".tmp");
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ch.write(ByteBuffer.wrap(JSON.writeValueAsBytes(node)));
                    ch.force(true);
                }
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the fence file " + file + ": " + e.getMessage(), e);
        }
    }

    private Path fileOf(String threadId) {
        if (!WorkingDirectories.isValidThreadId(threadId)) {
            throw new IllegalArgumentException("invalid thread id");
        }
        return dir.resolve(threadId);
    }
}
