package dev.runlane.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkingDirectoriesTest {

    @TempDir
    Path root;

    @ParameterizedTest
    @ValueSource(strings = {"t1", "T", "0", "thread_1-a", "a234567890123456789012345678901234567890123456789012345678901234"})
    void acceptsPlainNames(String threadId) {
        assertTrue(WorkingDirectories.isValidThreadId(threadId));
        assertEquals(root.resolve(threadId), new WorkingDirectories(root, Runnable::run).of(threadId));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "../x", "a/b", "a\\b", "/abs", ".runlane", "-rf", "_x", "a b", "a.b",
            "a\nb", "é", "a2345678901234567890123456789012345678901234567890123456789012345"})
    void refusesAnythingElse(String threadId) {
        assertFalse(WorkingDirectories.isValidThreadId(threadId));
        assertThrows(IllegalArgumentException.class, () -> new WorkingDirectories(root, Runnable::run).of(threadId));
    }

    @Test
    void createsTheDirectoryButRefusesOneThatLeadsOutOfTheRoot() throws Exception {
        WorkingDirectories dirs = new WorkingDirectories(root.resolve("root"), Runnable::run);
        Files.createDirectories(root.resolve("root"));
        assertTrue(Files.isDirectory(dirs.create("t1")));
        Path outside = Files.createDirectories(root.resolve("outside"));
        Files.createSymbolicLink(root.resolve("root").resolve("t2"), outside);
        IOException refused = assertThrows(IOException.class, () -> dirs.create("t2"));
        assertTrue(refused.getMessage().contains("leads out of the daemon's root"), refused.getMessage());
    }

    @Test
    void refusesNull() {
        assertFalse(WorkingDirectories.isValidThreadId(null));
    }

    @Test
    void aLaneRunsItsTasksOneAfterTheOtherAndLanesAreIndependent() throws Exception {
        var executor = Executors.newVirtualThreadPerTaskExecutor();
        WorkingDirectories dirs = new WorkingDirectories(root, executor);
        List<String> order = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        dirs.inLane("t1", () -> {
            order.add("t1-a");
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        dirs.inLane("t1", () -> order.add("t1-b"));
        // t2 is not held up by t1's blocked task.
        dirs.inLane("t2", () -> order.add("t2")).get(10, TimeUnit.SECONDS);
        assertFalse(order.contains("t1-b"));
        release.countDown();
        dirs.idle().get(10, TimeUnit.SECONDS);
        assertTrue(order.indexOf("t1-a") < order.indexOf("t1-b"), order.toString());
        dirs.inLane("t1", () -> {
            throw new IllegalStateException("a failing task");
        });
        dirs.inLane("t1", () -> order.add("t1-c")).get(10, TimeUnit.SECONDS);
        assertTrue(order.contains("t1-c"), "a failing task does not stop the lane");
        executor.shutdown();
    }
}
