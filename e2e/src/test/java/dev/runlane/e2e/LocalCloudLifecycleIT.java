package dev.runlane.e2e;

import dev.runlane.localcloud.LocalCloud;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A local cloud of its own (not the shared stack): it serves a run, and closing it, as Ctrl-C or
 * SIGTERM does through its shutdown hook, leaves no process behind and frees its ports.
 */
class LocalCloudLifecycleIT {

    @Test
    @Timeout(180)
    void closingTheLocalCloudLeavesNoProcessAndFreesItsPorts() throws Exception {
        Set<Long> before = children();
        Set<Long> ours;
        URI api;
        URI edge;
        try (LocalCloud cloud = LocalCloud.start(LocalCloud.Options.forTests(
                E2eStack.repositoryRoot().resolve("template.yaml"), Map.of()))) {
            api = cloud.apiUri();
            edge = cloud.edgeUri();
            Api client = new Api(api);
            String runId = client.startRun(Ids.thread("lifecycle"), Api.echo("hi")).get("runId").asText();
            assertEquals("SUCCEEDED", client.awaitTerminal(runId, Duration.ofSeconds(90)).get("status").asText());
            ours = children();
            ours.removeAll(before);
        }
        // moto and at least the API, gate, dispatch and finalize sandboxes ran for this cloud
        assertEquals(true, ours.size() >= 5, "processes of this cloud: " + ours);
        ours.retainAll(children());
        assertEquals(Set.of(), ours, "moto and the sandboxes outlived close()");
        for (URI uri : new URI[] {api, edge}) {
            try (ServerSocket socket = new ServerSocket(uri.getPort())) {
                assertEquals(uri.getPort(), socket.getLocalPort(), uri + " is free again");
            }
        }
    }

    private static Set<Long> children() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).map(ProcessHandle::pid)
                .collect(Collectors.toSet());
    }
}
