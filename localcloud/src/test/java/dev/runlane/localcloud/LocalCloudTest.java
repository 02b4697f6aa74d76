package dev.runlane.localcloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Starts the whole local cloud in-process, as the end-to-end scenarios do, and stops it. */
class LocalCloudTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void servesTheTemplatesRoutesAndRunsAnEchoRun() throws Exception {
        assumeTrue(Files.isRegularFile(Repo.root().resolve("functions/target/function.zip")), "functions/target/function.zip not built");
        URI api;
        try (LocalCloud cloud = LocalCloud.start(LocalCloud.Options.forTests(Repo.template(), Map.of("AttemptTimeoutSeconds", "5")))) {
            api = cloud.apiUri();
            assertEquals(404, send(HttpRequest.newBuilder(api.resolve("/nope")).GET()).statusCode());

            HttpResponse<String> started = send(HttpRequest.newBuilder(api.resolve("/threads/lc-test/runs"))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"target\":\"hosted\",\"input\":{\"agent\":\"echo\",\"message\":\"hi\"}}")));
            assertEquals(202, started.statusCode(), started.body());
            String runId = started.body().replaceAll(".*\"runId\":\"([^\"]+)\".*", "$1");

            Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
            String run = "";
            while (Instant.now().isBefore(deadline) && !run.contains("\"status\":\"SUCCEEDED\"")) {
                run = send(HttpRequest.newBuilder(api.resolve("/runs/" + runId)).GET()).body();
                Thread.sleep(100); // poll interval, bounded by the deadline
            }
            assertTrue(run.contains("\"status\":\"SUCCEEDED\""), run);
        }
        // closed: the API port is free again
        try (ServerSocket socket = new ServerSocket(api.getPort())) {
            assertEquals(api.getPort(), socket.getLocalPort());
        }
    }

    @Test
    void aBusyPortIsAClearError() throws Exception {
        try (ServerSocket busy = new ServerSocket(0)) {
            var options = LocalCloud.Options.forTests(Repo.template(), Map.of()).withPorts(busy.getLocalPort(), 0);
            var e = assertThrows(LocalCloud.StartException.class, () -> LocalCloud.start(options));
            assertTrue(e.getMessage().contains("is busy"), e.getMessage());
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
