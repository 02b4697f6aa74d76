package dev.runlane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Prices a scenario's usage per 1M runs, line by line, with the prices of {@code bench/prices.json}. */
final class Bill {
    static final double MILLION = 1_000_000;

    private final JsonNode prices;
    private final boolean arm64;

    Bill(JsonNode prices, boolean arm64) {
        this.prices = prices.path("prices");
        this.arm64 = arm64;
    }

    static Bill load(Path file, boolean arm64) throws IOException {
        return new Bill(new ObjectMapper().readTree(file.toFile()), arm64);
    }

    private double price(String name) {
        JsonNode price = prices.path(name).path("usd");
        if (!price.isNumber()) {
            throw new IllegalStateException("prices.json has no price " + name);
        }
        return price.asDouble();
    }

    /** USD per 1M runs, by line; the lines sum to the total. */
    Map<String, Double> perMillionRuns(Usage usage) {
        double scale = MILLION / Math.max(1, usage.runs());
        Map<String, Double> lines = new LinkedHashMap<>();
        lines.put("Step Functions transitions", usage.transitions() * price("stepFunctionsTransition") * scale);
        lines.put("Lambda requests", usage.lambdaInvocations() * price("lambdaRequest") * scale);
        lines.put("Lambda GB-seconds", usage.lambdaGbSeconds() * price(arm64 ? "lambdaGbSecondArm64" : "lambdaGbSecondX86") * scale);
        lines.put("DynamoDB writes", usage.dynamoWriteUnits() * price("dynamodbWriteUnit") * scale);
        lines.put("DynamoDB reads", usage.dynamoReadUnits() * price("dynamodbReadUnit") * scale);
        lines.put("SQS requests", usage.requestsOf("sqs") * price("sqsFifoRequest") * scale);
        lines.put("HTTP API requests", usage.apiRequests() * price("httpApiRequest") * scale);
        return lines;
    }

    /** USD a month for a daemon polling this way (one HTTP API and one Lambda request per poll), by line. */
    Map<String, Double> perMonth(double polls, double gbSeconds, double readUnits) {
        Map<String, Double> lines = new LinkedHashMap<>();
        lines.put("Lambda requests", polls * price("lambdaRequest"));
        lines.put("Lambda GB-seconds", gbSeconds * price(arm64 ? "lambdaGbSecondArm64" : "lambdaGbSecondX86"));
        lines.put("DynamoDB reads", readUnits * price("dynamodbReadUnit"));
        lines.put("HTTP API requests", polls * price("httpApiRequest"));
        return lines;
    }

    static double total(Map<String, Double> lines) {
        return lines.values().stream().mapToDouble(Double::doubleValue).sum();
    }
}
