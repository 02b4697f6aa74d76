package dev.runlane.localcloud.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestCountsTest {

    private static AwsRequest dynamo(String action, String body) {
        return new AwsRequest("dynamodb", action, false, body.getBytes(StandardCharsets.UTF_8), null);
    }

    @Test
    void countsRequestsByActionAndDynamoDbUnitsByTheOnDemandRules() throws Exception {
        RequestCounts counts = new RequestCounts();
        counts.count(dynamo("GetItem", "{\"ConsistentRead\":true}"));                  // 1 RRU
        counts.count(dynamo("Query", "{}"));                                           // 0.5 RRU (eventual)
        counts.count(dynamo("UpdateItem", "{}"));                                      // 1 WRU
        counts.count(dynamo("TransactWriteItems", "{\"TransactItems\":[{},{},{}]}"));   // 3 items x 2 WRU
        counts.count(dynamo("BatchGetItem", "{\"RequestItems\":{\"runs\":{\"Keys\":[{},{}],\"ConsistentRead\":true}}}")); // 2 RRU
        counts.count(dynamo("DescribeTable", "{}"));                                   // control plane: no units
        counts.count(dynamo("PutItem", "not json"));                                   // still a write
        counts.count(new AwsRequest("sqs", "ReceiveMessage", true, new byte[0], null));
        counts.count(new AwsRequest("sqs", "ReceiveMessage", true, new byte[0], null));

        var snapshot = counts.snapshot();
        assertEquals(2, snapshot.path("requests").path("sqs:ReceiveMessage").asLong());
        assertEquals(1, snapshot.path("requests").path("dynamodb:TransactWriteItems").asLong());
        assertEquals(3.5, snapshot.path("dynamodbUnits").path("read").asDouble());
        assertEquals(8, snapshot.path("dynamodbUnits").path("write").asDouble());
    }
}
