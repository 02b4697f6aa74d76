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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * The highest fence token this daemon has admitted per working directory and backend epoch, and the run it
 * was admitted for, persisted under {@code <root>/.runlane/fence/<threadId>} so that a restarted daemon keeps
 * them. A token is written (temp file, fsync, atomic rename) <em>before</em> its command starts: the daemon
 * never runs anything its book does not already remember.
 *
 * <p>Tokens are only ordered within one backend: a backend that lost its state (a local cloud restart, a stack
 * deleted and deployed again) counts a thread's tokens from 1 again. Start frames therefore name the backend's
 * epoch, and a directory keeps one book per epoch: a token is compared only with the tokens of its own epoch,
 * so a reset backend's first frame starts a new book, while an older token of a backend already seen is
 * refused, also after frames of other epochs came in between. A frame without an epoch (a server from before
 * epochs) belongs to the book of epoch "".
 *
 * <p>File format: {@code {"books":{"<epoch>":{"token":N,"runId":"…"},…}}}, the books in the order they were
 * last admitted to, oldest first (this daemon writes and reads the file, and keeps that order). A file that only
 * holds the book of epoch "" is written in the format of daemons from before epochs, {@code {"token":N,"runId":"…"}},
 * which is read as that book: an upgraded daemon keeps its promises, and a downgraded one reads the file as long
 * as its server sent no epoch.
 *
 * <p>At most {@value #MAX_EPOCHS} books are kept per directory; admitting to a 17th forgets the book admitted to
 * least recently. That is safe enough: an epoch's frames come only from that backend, and a daemon polls one API,
 * so a forgotten book only matters if a backend that has not delivered a frame for the directory while 16 other
 * backends did comes back and replays an old one. Even then the command does not start: the pre-start heartbeat
 * carries the frame's token, and the server refuses any but the thread's newest. What is lost is the early
 * refusal: the replayed frame would supersede (kill) a command still running in the directory.
 */
public final class FenceBook {

    /** The epoch of a frame that names none (a server from before epochs). */
    public static final String NO_EPOCH = "";
    /** The most books (epochs) kept per directory. */
    public static final int MAX_EPOCHS = 16;

    /** What {@link #admit} decided for a start frame. */
    public enum Admission {
        /** Higher than anything seen for the directory in the frame's epoch (or a new epoch): recorded, run it. */
        ADMITTED,
        /** Lower than the highest seen in the frame's epoch: an older attempt, refuse it. */
        STALE,
        /** The very run already admitted under this token (a frame seen twice): do not run it again. */
        DUPLICATE,
        /** The highest token of the epoch, but for another run: the server never does this, refuse it. */
        CONFLICT
    }

    /** The highest token of a directory in one epoch and the run admitted under it. */
    public record Entry(long token, String runId) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    /** Per thread: its books, epoch to entry, least recently admitted first; empty when it has no file. */
    private final Map<String, SequencedMap<String, Entry>> cache = new HashMap<>();

    public FenceBook(Path root) {
        this.dir = root.resolve(".runlane").resolve("fence");
    }

    /** The highest token admitted for the thread's directory in epoch "" (frames that name no epoch), if any. */
    public synchronized Optional<Entry> highest(String threadId) {
        return highest(threadId, NO_EPOCH);
    }

    /** The highest token admitted for the thread's directory in the epoch, if any. */
    public synchronized Optional<Entry> highest(String threadId, String epoch) {
        return Optional.ofNullable(load(threadId).get(epoch));
    }

    /** {@link #check(String, String, long, String)} for a frame that names no epoch. */
    public synchronized Admission check(String threadId, long token, String runId) {
        return check(threadId, NO_EPOCH, token, runId);
    }

    /**
     * Decides a start frame without recording anything: {@link Admission#ADMITTED} means {@link #admit} would
     * admit it. The daemon checks first and admits only once the API has confirmed the run (or ended it).
     *
     * @throws UncheckedIOException when the book cannot be read: the caller must not run
     */
    public synchronized Admission check(String threadId, String epoch, long token, String runId) {
        Entry e = load(threadId).get(epoch);
        if (e != null) {
            if (token < e.token()) {
                return Admission.STALE;
            }
            if (token == e.token()) {
                return e.runId().equals(runId) ? Admission.DUPLICATE : Admission.CONFLICT;
            }
        }
        return Admission.ADMITTED;
    }

    /** {@link #admit(String, String, long, String)} for a frame that names no epoch. */
    public synchronized Admission admit(String threadId, long token, String runId) {
        return admit(threadId, NO_EPOCH, token, runId);
    }

    /**
     * Decides a start frame and, when admitted, persists its token before returning.
     *
     * @throws UncheckedIOException when the book cannot be read or written: the caller must not run
     */
    public synchronized Admission admit(String threadId, String epoch, long token, String runId) {
        Admission admission = check(threadId, epoch, token, runId);
        if (admission != Admission.ADMITTED) {
            return admission;
        }
        SequencedMap<String, Entry> books = new LinkedHashMap<>(load(threadId));
        books.remove(epoch);
        books.putLast(epoch, new Entry(token, runId));
        while (books.size() > MAX_EPOCHS) {
            books.pollFirstEntry();
        }
        store(threadId, books);
        cache.put(threadId, Collections.unmodifiableSequencedMap(books));
        return Admission.ADMITTED;
    }

    private SequencedMap<String, Entry> load(String threadId) {
        SequencedMap<String, Entry> cached = cache.get(threadId);
        if (cached != null) {
            return cached;
        }
        Path file = fileOf(threadId);
        SequencedMap<String, Entry> books = new LinkedHashMap<>();
        try {
            JsonNode node = JSON.readTree(Files.readAllBytes(file));
            if (node == null || !node.isObject()) {
                throw unreadable(file);
            }
            if (!node.has("books")) {
                books.putLast(NO_EPOCH, entry(node, file));
            } else if (node.get("books").isObject() && node.size() == 1) {
                for (Map.Entry<String, JsonNode> book : node.get("books").properties()) {
                    books.putLast(book.getKey(), entry(book.getValue(), file));
                }
            } else {
                throw unreadable(file);
            }
        } catch (NoSuchFileException e) {
            books.clear();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the fence file " + file + ": " + e.getMessage(), e);
        }
        SequencedMap<String, Entry> loaded = Collections.unmodifiableSequencedMap(books);
        cache.put(threadId, loaded);
        return loaded;
    }

    private static Entry entry(JsonNode node, Path file) throws IOException {
        if (!node.path("token").isIntegralNumber() || !node.path("runId").isTextual()) {
            throw unreadable(file);
        }
        return new Entry(node.get("token").asLong(), node.get("runId").asText());
    }

    private static IOException unreadable(Path file) {
        return new IOException("unreadable fence file " + file);
    }

    private void store(String threadId, SequencedMap<String, Entry> books) {
        Path file = fileOf(threadId);
        ObjectNode node;
        if (books.size() == 1 && books.containsKey(NO_EPOCH)) {
            node = json(books.get(NO_EPOCH));
        } else {
            node = JSON.createObjectNode();
            ObjectNode all = node.putObject("books");
            books.forEach((epoch, entry) -> all.set(epoch, json(entry)));
        }
        try {
            Files.createDirectories(dir);
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

    private static ObjectNode json(Entry entry) {
        return JSON.createObjectNode().put("token", entry.token()).put("runId", entry.runId());
    }

    private Path fileOf(String threadId) {
        if (!WorkingDirectories.isValidThreadId(threadId)) {
            throw new IllegalArgumentException("invalid thread id");
        }
        return dir.resolve(threadId);
    }
}
