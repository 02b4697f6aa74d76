package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Map;

/**
 * The Lambda runtime's JSON: Quarkus reads events and writes results with a copy of this application's
 * ObjectMapper. An HTTP API result leaves out the payload 2.0 fields runlane never sets (multiValueHeaders,
 * cookies) instead of writing them as null, as AWS's own Java runtime does.
 */
@Singleton
public class LambdaJson implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.addMixIn(APIGatewayV2HTTPResponse.class, ResponseFields.class);
    }

    abstract static class ResponseFields {
        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract Map<String, List<String>> getMultiValueHeaders();

        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract List<String> getCookies();
    }
}
