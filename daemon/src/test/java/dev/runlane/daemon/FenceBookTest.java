package dev.runlane.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static dev.runlane.daemon.FenceBook.Admission.ADMITTED;
import static dev.runlane.daemon.FenceBook.Admission.CONFLICT;
import static dev.runlane.daemon.FenceBook.Admission.DUPLICATE;
import static dev.runlane.daemon.FenceBook.Admission.STALE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FenceBookTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    @Test
    void admitsHigherTokensAndRefusesLowerOnes() {
        FenceBook book = new FenceBook(root);
        assertEquals(Optional.empty(), book.highest("t1"));
        assertEquals(ADMITTED, book.admit("t1", 3, "r3"));
        assertEquals(STALE, book.admit("t1", 2, "r2"));
        assertEquals(DUPLICATE, book.admit("t1", 3, "r3"));
        assertEquals(CONFLICT, book.admit("t1", 3, "other"));
        assertEquals(ADMITTED, book.admit("t1", 10, "r10"));
        assertEquals(STALE, book.admit("t1", 9, "r9"));
        assertEquals(Optional.of(new FenceBook.Entry(10, "r10")), book.highest("t1"));
    }

    @Test
    void checkDecidesLikeAdmitButRecordsNothing() {
        FenceBook book = new FenceBook(root);
        assertEquals(ADMITTED, book.check("t1", 3, "r3"));
        assertEquals(Optional.empty(), book.highest("t1"));
        assertEquals(ADMITTED, book.admit("t1", 3, "r3"));
        assertEquals(STALE, book.check("t1", 2, "r2"));
        assertEquals(DUPLICATE, book.check("t1", 3, "r3"));
        assertEquals(CONFLICT, book.check("t1", 3, "other"));
        assertEquals(ADMITTED, book.check("t1", 4, "r4"));
        assertEquals(Optional.of(new FenceBook.Entry(3, "r3")), new FenceBook(root).highest("t1"));
    }

    @Test
    void directoriesAreFencedApart() {
        FenceBook book = new FenceBook(root);
        assertEquals(ADMITTED, book.admit("t1", 5, "a"));
        assertEquals(ADMITTED, book.admit("t2", 1, "b"));
        assertEquals(STALE, book.admit("t1", 4, "c"));
    }

    @Test
    void aNewInstanceOnTheSameRootKeepsTheTokens() throws IOException {
        FenceBook first = new FenceBook(root);
        first.admit("t1", 7, "r7");
        first.admit("t2", 2, "r2");

        FenceBook second = new FenceBook(root);
        assertEquals(STALE, second.admit("t1", 6, "r6"));
        assertEquals(DUPLICATE, second.admit("t1", 7, "r7"));
        assertEquals(Optional.of(new FenceBook.Entry(2, "r2")), second.highest("t2"));
        try (var files = Files.list(root.resolve(".runlane/fence"))) {
            assertEquals(2, files.count(), "no temp file left behind");
        }
        assertEquals("{\"token\":7,\"runId\":\"r7\"}", Files.readString(root.resolve(".runlane/fence/t1")));
    }

    @Test
    void eachEpochHasItsOwnBook() {
        FenceBook book = afterABackendReset();
        assertEquals(DUPLICATE, book.admit("t1", "e2", 1, "r1"));
        assertEquals(CONFLICT, book.admit("t1", "e2", 1, "other"));
        assertEquals(ADMITTED, book.admit("t1", "e2", 2, "r2"));
        assertEquals(DUPLICATE, book.check("t1", "e1", 5, "r5"));
        assertEquals(CONFLICT, book.check("t1", "e1", 5, "other"));
        assertEquals(Optional.of(new FenceBook.Entry(5, "r5")), book.highest("t1", "e1"));
        assertEquals(Optional.of(new FenceBook.Entry(2, "r2")), book.highest("t1", "e2"));
        assertEquals(Optional.empty(), book.highest("t1"), "frames without an epoch have a book of their own");
        assertEquals(ADMITTED, book.admit("t1", 1, "r-no-epoch"));
    }

    @Test
    void aLowerTokenOfAnEpochIsRefusedAlsoAfterFramesOfAnotherEpoch() {
        FenceBook book = afterABackendReset();
        assertEquals(STALE, book.admit("t1", "e1", 4, "r4"));
        assertEquals(STALE, new FenceBook(root).check("t1", "e1", 4, "r4"));
        assertEquals(ADMITTED, book.admit("t1", "e1", 6, "r6"));
        assertEquals(STALE, book.admit("t1", "e2", 0, "r0"));
        assertEquals(Optional.of(new FenceBook.Entry(6, "r6")), new FenceBook(root).highest("t1", "e1"));
    }

    @Test
    void theFormatFromBeforeEpochsIsReadAsTheBookOfTheEmptyEpoch() throws IOException {
        Path file = root.resolve(".runlane/fence/t1");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"token\":5,\"runId\":\"r5\"}");

        FenceBook book = new FenceBook(root);
        assertEquals(Optional.of(new FenceBook.Entry(5, "r5")), book.highest("t1", ""));
        assertEquals(STALE, book.check("t1", "", 4, "r4"));
        assertEquals(STALE, book.check("t1", 4, "r4"));
        assertEquals(DUPLICATE, book.check("t1", 5, "r5"));
        assertEquals(ADMITTED, book.admit("t1", "e1", 1, "r1"));
        assertEquals("{\"books\":{\"\":{\"token\":5,\"runId\":\"r5\"},\"e1\":{\"token\":1,\"runId\":\"r1\"}}}",
                Files.readString(file));

        FenceBook restarted = new FenceBook(root);
        assertEquals(STALE, restarted.check("t1", 4, "r4"));
        assertEquals(DUPLICATE, restarted.check("t1", "e1", 1, "r1"));
        assertEquals(Optional.of(new FenceBook.Entry(1, "r1")), restarted.highest("t1", "e1"));
    }

    @Test
    void aNewInstanceKeepsTheBooksOfEveryEpoch() throws IOException {
        FenceBook first = new FenceBook(root);
        first.admit("t1", "e1", 9, "r9");
        first.admit("t1", "e2", 3, "r3");
        first.admit("t2", "e2", 1, "r1");

        FenceBook second = new FenceBook(root);
        assertEquals(STALE, second.admit("t1", "e1", 8, "r8"));
        assertEquals(STALE, second.admit("t1", "e2", 2, "r2"));
        assertEquals(DUPLICATE, second.admit("t1", "e2", 3, "r3"));
        assertEquals(Optional.of(new FenceBook.Entry(1, "r1")), second.highest("t2", "e2"));
        assertEquals(Optional.empty(), second.highest("t2", "e1"));
        try (var files = Files.list(root.resolve(".runlane/fence"))) {
            assertEquals(2, files.count(), "one file per thread, no temp file left behind");
        }
    }

    @Test
    void keepsTheSixteenEpochsAdmittedToMostRecently() throws IOException {
        FenceBook book = new FenceBook(root);
        for (int i = 0; i < FenceBook.MAX_EPOCHS; i++) {
            assertEquals(ADMITTED, book.admit("t1", "e" + i, 10, "r" + i));
        }
        // e0 is admitted to again: now e1 is the least recent.
        assertEquals(ADMITTED, book.admit("t1", "e0", 11, "r0b"));
        assertEquals(ADMITTED, book.admit("t1", "e16", 10, "r16"));

        FenceBook restarted = new FenceBook(root);
        assertEquals(Optional.empty(), restarted.highest("t1", "e1"), "the least recent book is forgotten");
        assertEquals(Optional.of(new FenceBook.Entry(11, "r0b")), restarted.highest("t1", "e0"));
        for (int i = 2; i <= FenceBook.MAX_EPOCHS; i++) {
            assertEquals(STALE, restarted.check("t1", "e" + i, 9, "old"), "e" + i);
        }
        assertEquals(FenceBook.MAX_EPOCHS, JSON.readTree(root.resolve(".runlane/fence/t1").toFile()).get("books").size());
    }

    @Test
    void anUnreadableBookRefusesRatherThanGuesses() throws IOException {
        Path file = root.resolve(".runlane/fence/t1");
        Files.createDirectories(file.getParent());
        for (String content : List.of("{\"books\":{\"e1\":{\"token\":\"5\",\"runId\":\"r5\"}}}", "{\"books\":[]}",
                "{\"books\":{},\"token\":5,\"runId\":\"r5\"}", "[]", "")) {
            Files.writeString(file, content);
            FenceBook book = new FenceBook(root);
            assertThrows(UncheckedIOException.class, () -> book.check("t1", "e2", 1, "r"), content);
        }
    }

    @Test
    void anUnreadableFenceFileRefusesRatherThanGuesses() throws IOException {
        Files.createDirectories(root.resolve(".runlane/fence"));
        Files.writeString(root.resolve(".runlane/fence/t1"), "garbage");
        FenceBook book = new FenceBook(root);
        assertThrows(UncheckedIOException.class, () -> book.admit("t1", 100, "r"));
    }

    @Test
    void refusesThreadIdsThatAreNotPlainNames() {
        FenceBook book = new FenceBook(root);
        assertThrows(IllegalArgumentException.class, () -> book.admit("../x", 1, "r"));
    }

    /** Thread t1's book once token 5 of epoch e1 and then, the backend reset, token 1 of epoch e2 were admitted. */
    private FenceBook afterABackendReset() {
        FenceBook book = new FenceBook(root);
        assertEquals(ADMITTED, book.admit("t1", "e1", 5, "r5"));
        assertEquals(ADMITTED, book.check("t1", "e2", 1, "r1"));
        assertEquals(ADMITTED, book.admit("t1", "e2", 1, "r1"), "a reset backend counts from 1 again under a new epoch");
        return book;
    }
}
