package dev.runlane.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Kills a process and all its descendants: SIGTERM to the whole tree, a grace period, then SIGKILL to
 * whatever is left, and waits (bounded) until all of them are gone. Descendants are collected before
 * anything is signalled (an orphan is no longer a descendant) and again while waiting (a dying shell
 * may still fork).
 */
public final class ProcessTree {

    private static final Duration AFTER_KILL_BOUND = Duration.ofSeconds(10);

    private ProcessTree() {
    }

    /**
     * Whether the process still runs. A zombie does not: it is dead and only waits to be reaped by
     * init, which on some machines happens seconds later ({@link ProcessHandle#isAlive()} is still
     * true for it).
     */
    public static boolean isRunning(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        Path stat = Path.of("/proc/" + handle.pid() + "/stat");
        try {
            String s = Files.readString(stat);
            int close = s.lastIndexOf(')');
            if (close > 0 && s.length() > close + 2) {
                char state = s.charAt(close + 2);
                return state != 'Z' && state != 'X';
            }
            return true;
        } catch (NoSuchFileException e) {
            // On Linux: gone between the two checks. Without /proc (macOS): isAlive decides.
            return Files.isDirectory(Path.of("/proc/self")) ? false : handle.isAlive();
        } catch (IOException | RuntimeException e) {
            return handle.isAlive();
        }
    }

    /** Kills a child process of this JVM and its descendants. @return true when every process of the tree is gone */
    public static boolean kill(Process process, Duration grace) {
        return kill(process.toHandle(), process, grace);
    }

    /** Kills any process (e.g. one left by a previous daemon) and its descendants. */
    public static boolean kill(ProcessHandle root, Duration grace) {
        return kill(root, null, grace);
    }

    private static boolean kill(ProcessHandle root, Process process, Duration grace) {
        Map<Long, ProcessHandle> tree = new LinkedHashMap<>();
        collect(root, tree);
        tree.values().forEach(ProcessHandle::destroy);
        if (!awaitGone(process, tree, grace, false)) {
            collectAlive(tree);
            tree.values().forEach(ProcessHandle::destroyForcibly);
            return awaitGone(process, tree, AFTER_KILL_BOUND, true);
        }
        return true;
    }

    private static void collect(ProcessHandle root, Map<Long, ProcessHandle> tree) {
        tree.putIfAbsent(root.pid(), root);
        root.descendants().forEach(h -> tree.putIfAbsent(h.pid(), h));
    }

    private static void collectAlive(Map<Long, ProcessHandle> tree) {
        for (ProcessHandle h : tree.values().toArray(ProcessHandle[]::new)) {
            if (isRunning(h)) {
                h.descendants().forEach(d -> tree.putIfAbsent(d.pid(), d));
            }
        }
    }

    private static boolean awaitGone(Process process, Map<Long, ProcessHandle> tree, Duration bound, boolean forcibly) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            // A child forked during the grace period is caught here and signalled like the rest.
            int before = tree.size();
            collectAlive(tree);
            if (tree.size() > before) {
                tree.values().forEach(forcibly ? ProcessHandle::destroyForcibly : ProcessHandle::destroy);
            }
            if (tree.values().stream().noneMatch(ProcessTree::isRunning)) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            long pause = Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 20);
            try {
                if (process != null && process.isAlive()) {
                    // Returns as soon as the direct child exits (and reaps it).
                    process.waitFor(pause, TimeUnit.MILLISECONDS);
                } else {
                    // Not our child (or already reaped): poll.
                    Thread.sleep(pause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
