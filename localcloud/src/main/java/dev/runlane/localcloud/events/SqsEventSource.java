package dev.runlane.localcloud.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runlane.localcloud.FunctionInvoker;
import dev.runlane.localcloud.template.Stack;
import java.io.IOException;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * One SQS event source mapping: long-polls its queue, invokes the function synchronously with
 * each batch, and deletes what succeeded (all of it, or all but the reported batchItemFailures).
 * Like Lambda's, it polls with several pollers at once, each invoking the function with its own
 * batch, so different message groups are handled in parallel. A FIFO queue keeps each group's order
 * by itself: while a group has a message in flight, no receive returns that group's later messages.
 */
public final class SqsEventSource implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LONG_POLL_SECONDS = 20;

    private final Stack.SqsEventSource source;
    private final SqsClient sqs;
    private final FunctionInvoker functions;
    private final Consumer<String> log;
    private volatile boolean running = true;
    private final List<Thread> pollers;

    public SqsEventSource(Stack.SqsEventSource source, SqsClient sqs, FunctionInvoker functions, Consumer<String> log, int pollers) {
        this.source = source;
        this.sqs = sqs;
        this.functions = functions;
        this.log = log;
        this.pollers = IntStream.range(0, pollers)
                .mapToObj(i -> Thread.ofPlatform().daemon().name("sqs-" + source.eventName() + "-" + i).unstarted(this::run)).toList();
    }

    /**
     * How many pollers a mapping gets: one per sandbox its function may run (an invocation beyond
     * that would only wait for one), or fewer when the mapping's ScalingConfig.MaximumConcurrency says so.
     */
    public static int pollers(Stack.SqsEventSource source, int maxSandboxes) {
        return Math.max(1, source.maximumConcurrency() > 0 ? Math.min(source.maximumConcurrency(), maxSandboxes) : maxSandboxes);
    }

    public void start() {
        pollers.forEach(Thread::start);
    }

    private void run() {
        int failures = 0;
        while (running) {
            try {
                List<Message> messages = sqs.receiveMessage(r -> r.queueUrl(source.queue().url())
                        .maxNumberOfMessages(Math.min(source.batchSize(), 10))
                        .waitTimeSeconds(LONG_POLL_SECONDS)
                        .messageSystemAttributeNames(MessageSystemAttributeName.ALL)
                        .messageAttributeNames("All")).messages();
                failures = 0;
                if (!messages.isEmpty() && running) {
                    deliver(messages);
                }
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                failures++;
                log.accept("sqs " + source.eventName() + ": " + e.getMessage() + (failures > 1 ? " (x" + failures + ")" : ""));
                backOff(failures);
            }
        }
    }

    private void deliver(List<Message> messages) {
        FunctionInvoker.Result result = functions.invoke(source.functionName(), JSON.createObjectNode()
                .set("Records", records(messages)).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Set<String> failed = failedMessageIds(result, messages);
        List<DeleteMessageBatchRequestEntry> done = messages.stream()
                .filter(m -> !failed.contains(m.messageId()))
                .map(m -> DeleteMessageBatchRequestEntry.builder().id(m.messageId()).receiptHandle(m.receiptHandle()).build())
                .toList();
        log.accept("sqs " + source.eventName() + ": " + messages.size() + " message(s) -> " + source.functionName()
                + ": " + done.size() + " deleted, " + (messages.size() - done.size()) + " left on the queue");
        if (!done.isEmpty()) {
            var response = sqs.deleteMessageBatch(r -> r.queueUrl(source.queue().url()).entries(done));
            response.failed().forEach(f -> log.accept("sqs " + source.eventName() + ": delete " + f.id() + " failed: " + f.message()));
        }
    }

    /** Everything fails on a function error or an unreadable response, as Lambda treats them. */
    private Set<String> failedMessageIds(FunctionInvoker.Result result, List<Message> messages) {
        Set<String> all = new HashSet<>(messages.stream().map(Message::messageId).toList());
        if (result.failed()) {
            log.accept("sqs " + source.eventName() + ": " + source.functionName() + " failed; the batch of " + messages.size() + " stays on the queue");
            return all;
        }
        if (!source.reportBatchItemFailures()) {
            return Set.of();
        }
        try {
            JsonNode response = result.payload().length == 0 ? null : JSON.readTree(result.payload());
            if (response == null || response.isNull() || !response.has("batchItemFailures")) {
                return Set.of();
            }
            Set<String> failed = new HashSet<>();
            for (JsonNode failure : response.get("batchItemFailures")) {
                String id = failure.path("itemIdentifier").asText("");
                if (!all.contains(id)) {
                    return all;
                }
                failed.add(id);
            }
            return failed;
        } catch (IOException e) {
            return all;
        }
    }

    private ArrayNode records(List<Message> messages) {
        ArrayNode records = JSON.createArrayNode();
        for (Message m : messages) {
            ObjectNode record = records.addObject();
            record.put("messageId", m.messageId());
            record.put("receiptHandle", m.receiptHandle());
            record.put("body", m.body());
            ObjectNode attributes = record.putObject("attributes");
            m.attributesAsStrings().forEach(attributes::put);
            ObjectNode messageAttributes = record.putObject("messageAttributes");
            m.messageAttributes().forEach((name, value) -> messageAttributes.set(name, messageAttribute(value)));
            record.put("md5OfBody", m.md5OfBody());
            if (m.md5OfMessageAttributes() != null) {
                record.put("md5OfMessageAttributes", m.md5OfMessageAttributes());
            }
            record.put("eventSource", "aws:sqs");
            record.put("eventSourceARN", source.queue().arn());
            record.put("awsRegion", Stack.REGION);
        }
        return records;
    }

    /** Lambda's spelling of a message attribute (camel case, list fields always present). */
    private static ObjectNode messageAttribute(MessageAttributeValue value) {
        ObjectNode node = JSON.createObjectNode();
        if (value.stringValue() != null) {
            node.put("stringValue", value.stringValue());
        }
        if (value.binaryValue() != null) {
            node.put("binaryValue", Base64.getEncoder().encodeToString(value.binaryValue().asByteArray()));
        }
        ArrayNode strings = node.putArray("stringListValues");
        value.stringListValues().forEach(strings::add);
        ArrayNode binaries = node.putArray("binaryListValues");
        value.binaryListValues().forEach(b -> binaries.add(Base64.getEncoder().encodeToString(b.asByteArray())));
        node.put("dataType", value.dataType());
        return node;
    }

    /** After an SQS error (e.g. moto restarting), retry with a growing, bounded pause. */
    private void backOff(int failures) {
        try {
            Thread.sleep(Math.min(5000L, 100L << Math.min(failures, 6)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        pollers.forEach(Thread::interrupt);
    }
}
