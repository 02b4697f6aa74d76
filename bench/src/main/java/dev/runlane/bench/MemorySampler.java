package dev.runlane.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Samples the resident memory of the local cloud: this JVM (it runs the local cloud in-process, as
 * {@code ./runlane local} does) plus every process under it (moto and the Lambda sandboxes), from /proc;
 * not the reference daemon, which is the desktop's.
 */
final class MemorySampler implements AutoCloseable {
    private final AtomicLong peak = new AtomicLong();
    private final Thread sampler;
    private volatile boolean running = true;
    private volatile ProcessHandle excluded;

    MemorySampler() {
        sampler = Thread.ofPlatform().daemon().name("bench-memory").start(() -> {
            while (running) {
                peak.accumulateAndGet(rssBytes(), Math::max);
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** The highest total seen since the last reset, in bytes; resets it. */
    long takePeak() {
        return peak.getAndSet(rssBytes());
    }

    /** Leaves this process and everything under it out of the samples. */
    void exclude(Process process) {
        excluded = process.toHandle();
    }

    private long rssBytes() {
        ProcessHandle self = ProcessHandle.current();
        ProcessHandle skip = excluded;
        return Stream.concat(Stream.of(self), self.descendants())
                .filter(p -> skip == null || !(p.equals(skip) || p.parent().filter(skip::equals).isPresent()))
                .mapToLong(p -> rss(p.pid())).sum();
    }

    private static long rss(long pid) {
        try (Stream<String> lines = Files.lines(Path.of("/proc", String.valueOf(pid), "status"))) {
            return lines.filter(l -> l.startsWith("VmRSS:")).findFirst()
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024).orElse(0L);
        } catch (IOException | RuntimeException gone) {
            return 0; // the process ended between listing and reading, or no /proc here
        }
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
    }
}
