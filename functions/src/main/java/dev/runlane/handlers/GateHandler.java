package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.runlane.domain.QueueMessage;
import dev.runlane.gate.Gate;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.List;

/** The thread gate on the FIFO queue; kept messages are reported as batch item failures. */
@Named("gate")
public class GateHandler implements RequestHandler<SqsEvent, SqsEvent.BatchResponse> {

    @Inject
    Gate gate;

    @Override
    public SqsEvent.BatchResponse handleRequest(SqsEvent event, Context context) {
        List<QueueMessage> batch = event.records() == null ? List.of() : event.records().stream()
                .map(m -> new QueueMessage(m.messageId(), m.receiptHandle(), m.body(),
                        m.attribute("MessageGroupId"), m.attribute("MessageDeduplicationId")))
                .toList();
        return new SqsEvent.BatchResponse(gate.admit(batch).stream().map(SqsEvent.Failure::new).toList());
    }
}
