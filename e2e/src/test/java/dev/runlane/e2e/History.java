package dev.runlane.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;

/** Reading a Step Functions execution history. */
final class History {
    private History() {}

    /** TaskScheduled events of Lambda tasks whose FunctionName names {@code function} (a logical name, e.g. HostedDispatchFunction). */
    static List<HistoryEvent> scheduled(List<HistoryEvent> history, String function) {
        return history.stream().filter(e -> e.type() == HistoryEventType.TASK_SCHEDULED)
                .filter(e -> functionName(e).contains(function)).toList();
    }

    /** How many times the execution entered the state named {@code state}. */
    static long entered(List<HistoryEvent> history, String state) {
        return history.stream().filter(e -> e.stateEnteredEventDetails() != null && state.equals(e.stateEnteredEventDetails().name()))
                .count();
    }

    static long count(List<HistoryEvent> history, HistoryEventType type) {
        return history.stream().filter(e -> e.type() == type).count();
    }

    static String functionName(HistoryEvent scheduled) {
        try {
            JsonNode parameters = Api.JSON.readTree(scheduled.taskScheduledEventDetails().parameters());
            return parameters.path("FunctionName").asText("");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One line per event, for failure messages. */
    static String describe(List<HistoryEvent> history) {
        StringBuilder out = new StringBuilder();
        for (HistoryEvent e : history) {
            out.append("\n  ").append(e.id()).append(' ').append(e.timestamp()).append(' ').append(e.typeAsString());
            if (e.type() == HistoryEventType.TASK_SCHEDULED) {
                out.append(' ').append(functionName(e));
            } else if (e.type() == HistoryEventType.TASK_FAILED) {
                out.append(' ').append(e.taskFailedEventDetails().error());
            }
        }
        return out.toString();
    }
}
