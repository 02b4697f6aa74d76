package dev.runlane.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MetricsTest {

    /** The shape CloudWatch's embedded metric format specification requires, with the properties beside it. */
    @Test
    void aCountIsOneEmfLineWithItsProperties() throws Exception {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("runId", "run-\"quoted\"");
        properties.put("fenceToken", 7L);
        JsonNode line = new ObjectMapper().readTree(Metrics.line("StaleWrites", 1_795_885_804_123L, properties));

        assertEquals(new ObjectMapper().readTree("""
                {"_aws":{"Timestamp":1795885804123,"CloudWatchMetrics":[{"Namespace":"runlane","Dimensions":[[]],
                 "Metrics":[{"Name":"StaleWrites","Unit":"Count"}]}]},
                 "StaleWrites":1,"runId":"run-\\"quoted\\"","fenceToken":7}"""), line);
    }
}
