package dev.runlane.localcloud.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.AwsClients;
import dev.runlane.localcloud.Await;
import dev.runlane.localcloud.FunctionInvoker;
import dev.runlane.localcloud.Repo;
import dev.runlane.localcloud.faults.Fault;
import dev.runlane.localcloud.faults.FaultKind;
import dev.runlane.localcloud.faults.Faults;
import dev.runlane.localcloud.moto.MotoServer;
import dev.runlane.localcloud.template.Stack;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sfn.SfnClient;

/** dropStatusEvents against moto's real executions: exactly count events are not delivered, the rest are. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ExecutionStatusRuleFaultsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void dropStatusEventsDropsExactlyCountEvents() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<JsonNode> delivered = new CopyOnWriteArrayList<>();
        FunctionInvoker recorder = new FunctionInvoker() {
            @Override
            public Result invoke(String function, byte[] payload) {
                throw new AssertionError("a rule invokes asynchronously");
            }

            @Override
            public void invokeAsync(String function, byte[] payload) {
                try {
                    delivered.add(JSON.readTree(payload));
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
        };
        Faults faults = new Faults(name -> name, System.err::println);
        try (MotoServer moto = MotoServer.start(Repo.root().resolve("tools/moto/runlane_moto.py"), port, 9, dir.resolve("moto.log"));
             SfnClient sfn = AwsClients.sfn(moto.uri())) {
            String machine = sfn.createStateMachine(b -> b.name("drops").roleArn("arn:aws:iam::123456789012:role/drops")
                    .definition("{\"StartAt\":\"Done\",\"States\":{\"Done\":{\"Type\":\"Pass\",\"End\":true}}}")).stateMachineArn();
            // one matching event per execution: its SUCCEEDED change
            JsonNode pattern = JSON.readTree("""
                    {"source":["aws.states"],"detail-type":["Step Functions Execution Status Change"],
                     "detail":{"status":["SUCCEEDED"],"stateMachineArn":["%s"]}}""".formatted(machine));
            var rule = new Stack.StatusChangeRule("Reaper", "Ended", pattern);
            faults.add(Fault.dropStatusEvents(2));
            try (ExecutionStatusRule watcher = new ExecutionStatusRule(rule, List.of(machine), sfn, recorder, faults, System.err::println)) {
                watcher.start();
                for (int i = 1; i <= 3; i++) {
                    String name = "run-" + i;
                    sfn.startExecution(b -> b.stateMachineArn(machine).name(name));
                }
                Await.until("all three SUCCEEDED events delivered or dropped", Duration.ofSeconds(30),
                        () -> delivered.size() + faults.fired(FaultKind.DROP_STATUS_EVENTS) == 3);
                assertEquals(2, faults.fired(FaultKind.DROP_STATUS_EVENTS));
                assertEquals(1, delivered.size());

                sfn.startExecution(b -> b.stateMachineArn(machine).name("run-4"));
                Await.until("the fourth event delivered", Duration.ofSeconds(30), () -> delivered.size() == 2);
                assertEquals("run-4", delivered.get(1).at("/detail/name").asText());
                assertEquals(2, faults.fired(FaultKind.DROP_STATUS_EVENTS), "the fault was used up");
            }
        }
    }
}
