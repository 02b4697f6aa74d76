package dev.runlane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.TreeMap;

/** What a scenario consumed: exact transitions, Lambda reports, and the AWS requests that crossed the edge. */
record Usage(int runs, long transitions, Map<String, LambdaReports.Function> lambdas, Map<String, Long> requests,
             double dynamoReadUnits, double dynamoWriteUnits) {

    static Usage of(int runs, long transitions, Map<String, LambdaReports.Function> lambdas, JsonNode counts) {
        Map<String, Long> requests = new TreeMap<>();
        counts.path("requests").properties().forEach(e -> requests.put(e.getKey(), e.getValue().asLong()));
        return new Usage(runs, transitions, lambdas, requests,
                counts.path("dynamodbUnits").path("read").asDouble(), counts.path("dynamodbUnits").path("write").asDouble());
    }

    long requestsOf(String service) {
        return requests.entrySet().stream().filter(e -> e.getKey().startsWith(service + ":")).mapToLong(Map.Entry::getValue).sum();
    }

    /** HTTP API requests: each is one invocation of an API function. */
    long apiRequests() {
        return lambdas.entrySet().stream().filter(e -> e.getKey().endsWith("ApiFunction"))
                .mapToLong(e -> e.getValue().invocations).sum();
    }

    long lambdaInvocations() {
        return lambdas.values().stream().mapToLong(f -> f.invocations).sum();
    }

    /** At the steady state's durations: see {@link LambdaReports.Function#steadyGbSeconds()}. */
    double lambdaGbSeconds() {
        return lambdas.values().stream().mapToDouble(LambdaReports.Function::steadyGbSeconds).sum();
    }
}
