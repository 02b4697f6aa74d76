package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/** i. A malformed message put straight on the thread queue blocks no thread and is not lost: it lands in the DLQ. */
class ScenarioI_MalformedMessageIT extends Scenario {

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aMalformedMessageNeitherBlocksItsThreadNorVanishes() {
        String thread = Ids.thread("i");
        String body = "this is not a run " + Ids.random();
        stack.sqs().sendMessage(r -> r.queueUrl(stack.queueUrl()).messageBody(body)
                .messageGroupId(thread).messageDeduplicationId("malformed-" + Ids.random()));

        // A run started afterwards waits behind the malformed message in the thread's group, and still runs.
        String runId = api.startRun(thread, Api.echo("behind a malformed message")).path("runId").asText();
        JsonNode run = api.awaitTerminal(runId, Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());

        // Not silently lost: it is in the dead-letter queue (other messages there are left alone).
        Message dead = Poll.until(Duration.ofSeconds(30), "the malformed message reaches " + stack.deadLetterQueueUrl(),
                () -> receive(body), Optional::isPresent).orElseThrow();
        assertEquals(thread, dead.attributesAsStrings().get(MessageSystemAttributeName.MESSAGE_GROUP_ID.toString()), dead.toString());
        stack.sqs().deleteMessage(r -> r.queueUrl(stack.deadLetterQueueUrl()).receiptHandle(dead.receiptHandle()));
        assertEquals(List.of(runId), api.threadRuns(thread).stream().map(r -> r.path("runId").asText()).toList());
    }

    private Optional<Message> receive(String body) {
        List<Message> messages = stack.sqs().receiveMessage(r -> r.queueUrl(stack.deadLetterQueueUrl())
                .maxNumberOfMessages(10).waitTimeSeconds(1).visibilityTimeout(0)
                .messageSystemAttributeNames(MessageSystemAttributeName.ALL).messageAttributeNames("All")).messages();
        return messages.stream().filter(m -> body.equals(m.body())).findFirst();
    }
}
