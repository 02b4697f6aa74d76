package dev.runlane.aws;

import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.Map;

/** Attribute value shorthands for the DynamoDB adapters. */
final class Dynamo {
    private Dynamo() {
    }

    static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    /** A string attribute of an item, or null when it has none. */
    static String str(Map<String, AttributeValue> item, String name) {
        AttributeValue value = item.get(name);
        return value == null ? null : value.s();
    }

    static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }
}
