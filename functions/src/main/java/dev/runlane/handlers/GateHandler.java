package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.runlane.domain.QueueMessage;
import dev.runlane.gate.Gate;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.List;

/** The thread gate on the FIFO queue; kept messages are reported as batch item failures. */
@Named("gate")
public class GateHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {

    @Inject
    Gate gate;

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<QueueMessage> batch = event.getRecords() == null ? List.of() : event.getRecords().stream()
                .map(m -> new QueueMessage(m.getMessageId(), m.getReceiptHandle(), m.getBody(),
                        attribute(m, "MessageGroupId"), attribute(m, "MessageDeduplicationId"),
                        QueueMessage.position(attribute(m, "SequenceNumber"))))
                .toList();
        // The event source takes one message per batch (template.yaml): its run and thread name the lines.
        QueueMessage only = batch.size() == 1 ? batch.get(0) : null;
        try (LogContext log = LogContext.of(context).run(only == null ? null : only.deduplicationId(), only == null ? null : only.groupId())) {
            return new SQSBatchResponse(gate.admit(batch).stream().map(SQSBatchResponse.BatchItemFailure::new).toList());
        }
    }

    private static String attribute(SQSEvent.SQSMessage message, String name) {
        return message.getAttributes() == null ? null : message.getAttributes().get(name);
    }
}
