package dev.runlane.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** N calls released at once, each on its own thread; their results in call order. */
final class Concurrently {
    private Concurrently() {}

    static <T> List<T> call(int n, IntFunction<T> call) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                Callable<T> task = () -> {
                    go.await();
                    return call.apply(index);
                };
                calls.add(pool.submit(task));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> result : calls) {
                results.add(result.get(90, TimeUnit.SECONDS));
            }
            return results;
        }
    }

    /**
     * Warms the API function up with rounds of n concurrent reads, so that a race that follows is
     * served by sandboxes side by side rather than queued on one while others cold-start.
     */
    static void warmApi(Api api, String threadId, int n) throws Exception {
        for (int round = 0; round < 2; round++) {
            call(n, i -> api.thread(threadId).status());
        }
    }
}
