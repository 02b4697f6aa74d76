package dev.runlane.aws;

import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Attribute value shorthands for the DynamoDB adapters. */
final class Dynamo {
    private Dynamo() {
    }

    static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }
}
