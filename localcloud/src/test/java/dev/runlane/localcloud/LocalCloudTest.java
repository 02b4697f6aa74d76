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

/** Start-up errors of the local cloud; serving runs and a clean close are checked in e2e (LocalCloudLifecycleIT), where function.zip is built. */
class LocalCloudTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aBusyPortIsAClearError() throws Exception {
        try (ServerSocket busy = new ServerSocket(0)) {
            var options = LocalCloud.Options.forTests(Repo.template(), Map.of()).withPorts(busy.getLocalPort(), 0);
            var e = assertThrows(LocalCloud.StartException.class, () -> LocalCloud.start(options));
            assertTrue(e.getMessage().contains("is busy"), e.getMessage());
        }
    }

    @Test
    void everyLocalCallerIsOneSoItsLongPollsStayBelowTheSandboxesUnlessOverridden() {
        var options = LocalCloud.Options.forTests(Repo.template(), Map.of("HoldSeconds", "10")); // 8 sandboxes
        assertEquals(Map.of("HoldSeconds", "10", "LongPollsPerCaller", "7"), LocalCloud.localCapacity(Repo.template(), options));
        var chosen = LocalCloud.Options.forTests(Repo.template(), Map.of("LongPollsPerCaller", "2"));
        assertEquals(Map.of("LongPollsPerCaller", "2"), LocalCloud.localCapacity(Repo.template(), chosen));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
