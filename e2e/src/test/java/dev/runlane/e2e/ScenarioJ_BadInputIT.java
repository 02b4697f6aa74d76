package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** j. Bad API input: each 4xx of the core API with its documented error code, and nothing created. */
class ScenarioJ_BadInputIT extends Scenario {
    private static final String JSON = "application/json";

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void badInputIsRefusedWithItsCodeAndCreatesNothing() {
        String thread = Ids.thread("j");
        String runs = "/threads/" + thread + "/runs";

        refused(400, "InvalidThreadId", api.post("/threads/bad.thread!/runs", JSON, bytes(Api.echo("x").toString())));
        refused(400, "InvalidThreadId", api.post("/threads/" + "t".repeat(65) + "/runs", JSON, bytes(Api.echo("x").toString())));
        refused(400, "InvalidJson", api.post(runs, JSON, bytes("{\"target\":\"hosted\",\"input\":{")));
        refused(400, "InvalidBody", api.post(runs, JSON, bytes("[1,2]")));
        refused(400, "InvalidTarget", api.post(runs, JSON, bytes("{\"target\":\"mainframe\",\"input\":{}}")));
        refused(400, "InvalidTarget", api.post(runs, JSON, bytes("{\"input\":{}}")));
        refused(400, "InvalidInput", api.post(runs, JSON, bytes("{\"target\":\"hosted\",\"input\":\"echo\"}")));
        refused(400, "UnknownField", api.post(runs, JSON, bytes("{\"target\":\"hosted\",\"input\":{},\"priority\":1}")));
        refused(400, "InvalidDaemonId", api.post(runs, JSON, bytes("{\"target\":\"hosted\",\"daemonId\":\"d1\",\"input\":{}}")));
        refused(400, "InvalidDaemonId", api.post(runs, JSON, bytes("{\"target\":\"desktop\",\"input\":{}}")));
        refused(400, "InvalidIdempotencyKey", api.send(api.request(runs).header("content-type", JSON)
                .header("Idempotency-Key", "x".repeat(129))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(Api.echo("x").toString()))));

        // 413: more than 261,120 bytes (Step Functions' input limit less the run envelope), though valid JSON.
        String filler = "a".repeat(261_120);
        byte[] oversize = bytes("{\"target\":\"hosted\",\"input\":{\"agent\":\"echo\",\"pad\":\"" + filler + "\"}}");
        assertTrue(oversize.length > 261_120);
        refused(413, "BodyTooLarge", api.post(runs, JSON, oversize));
        // 415: not JSON, whatever the body.
        refused(415, "UnsupportedMediaType", api.post(runs, "text/plain", bytes(Api.echo("x").toString())));
        refused(415, "UnsupportedMediaType", api.post(runs, null, bytes(Api.echo("x").toString())));

        // 404: an unknown run, for each route that names a run.
        String unknown = "run-e2e-unknown-" + Ids.random();
        refused(404, "RunNotFound", api.get("/runs/" + unknown));
        refused(404, "RunNotFound", api.get("/runs/" + unknown + "/events"));
        refused(404, "RunNotFound", api.cancel(unknown));

        // Nothing was created on the thread the refused starts named.
        assertEquals(List.of(), api.threadRuns(thread), "no run was created by a refused request");

        // 409: cancelling a run that has ended (on another thread); it keeps its outcome.
        String endedThread = Ids.thread("j-ended");
        String runId = api.startRun(endedThread, Api.echo("ends before the cancel")).path("runId").asText();
        JsonNode ended = api.awaitTerminal(runId, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", ended.path("status").asText(), ended.toString());
        refused(409, "RunEnded", api.cancel(runId));
        JsonNode after = api.run(runId);
        assertEquals("SUCCEEDED", after.path("status").asText(), after.toString());
        assertEquals(ended.path("output"), after.path("output"));
        assertEquals(1, api.threadRuns(endedThread).size());
    }

    private static void refused(int status, String code, Api.Response response) {
        assertEquals(status, response.status(), "expected " + status + " " + code + ", got " + response);
        assertEquals(code, response.errorCode(), "error code of " + response);
        assertTrue(response.body().path("error").path("message").isTextual(), "an error message: " + response);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
