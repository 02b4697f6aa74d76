package dev.runlane.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static dev.runlane.daemon.FenceBook.Admission.ADMITTED;
import static dev.runlane.daemon.FenceBook.Admission.CONFLICT;
import static dev.runlane.daemon.FenceBook.Admission.DUPLICATE;
import static dev.runlane.daemon.FenceBook.Admission.STALE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FenceBookTest {

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
}
