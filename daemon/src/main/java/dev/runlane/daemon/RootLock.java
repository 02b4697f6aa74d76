package dev.runlane.daemon;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One daemon per root: an OS file lock on {@code <root>/.runlane/daemon.lock}, held while the daemon
 * runs (released by the OS if the daemon dies). Two daemons on one root would each keep their own
 * fence book and run commands side by side in the same directories.
 */
public final class RootLock {

    /** Another daemon holds the root. */
    public static final class RootInUse extends Exception {
        public RootInUse(String message) {
            super(message);
        }
    }

    private final Path file;
    private FileChannel channel;
    private FileLock lock;

    public RootLock(Path root) {
        this.file = root.resolve(".runlane").resolve("daemon.lock");
    }

    public synchronized void acquire() throws RootInUse {
        if (lock != null) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = channel.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            closeChannel();
            throw new RootInUse("another daemon is running with root " + file.getParent().getParent()
                    + " (lock " + file + ")");
        }
    }

    public synchronized void release() {
        try {
            if (lock != null) {
                lock.release();
            }
        } catch (IOException e) {
            // closing the channel releases it too
        }
        lock = null;
        closeChannel();
    }

    private void closeChannel() {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            // nothing to do
        }
        channel = null;
    }
}
