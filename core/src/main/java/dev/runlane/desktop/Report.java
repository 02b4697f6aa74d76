package dev.runlane.desktop;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runlane.domain.RefusedException;

import java.util.Locale;

/** What a daemon reports for a run: a heartbeat, progress, or its end. */
public record Report(Type type, long fenceToken, JsonNode data, JsonNode output, String errorCode, String errorMessage) {

    public enum Type { HEARTBEAT, PROGRESS, SUCCEEDED, FAILED }

    public static Report of(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw RefusedException.invalid("InvalidBody", "a report is a JSON object");
        }
        Type type;
        try {
            type = Type.valueOf(body.path("type").asText("").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
            throw RefusedException.invalid("InvalidReportType", "type must be heartbeat, progress, succeeded or failed");
        }
        JsonNode token = body.get("fenceToken");
        if (token == null || !token.canConvertToLong() || !token.isIntegralNumber() || token.asLong() < 1) {
            throw RefusedException.invalid("InvalidFenceToken", "fenceToken must be the positive whole number of the run's start frame");
        }
        JsonNode error = body.path("error");
        if (type == Type.FAILED && !error.path("code").isTextual()) {
            throw RefusedException.invalid("InvalidError", "a failed report needs error.code (and error.message)");
        }
        return new Report(type, token.asLong(), body.path("data"), body.get("output"),
                error.path("code").asText(null), error.path("message").asText(""));
    }
}
