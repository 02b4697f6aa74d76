package dev.runlane.aws;

import dev.runlane.domain.PollSlots;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;

import static dev.runlane.aws.Dynamo.n;
import static dev.runlane.aws.Dynamo.s;

/**
 * Long-poll slots in DynamoDB: one item per (caller, slot), held while its {@code heldUntil} is ahead. A take
 * tries the slots from a random one, each a conditional put (a slot that is free or whose hold lapsed), so
 * concurrent polls of one caller rarely contend for the same slot; a refusal costs one conditional write per slot.
 */
public class DynamoPollSlots implements PollSlots {
    private static final Logger LOG = Logger.getLogger(DynamoPollSlots.class.getName());
    /** Lapsed slots are removed by TTL a day later (they are reused long before). */
    private static final Duration KEEP = Duration.ofDays(1);

    private final DynamoDbClient dynamo;
    private final String pollsTable;

    public DynamoPollSlots(DynamoDbClient dynamo, Settings settings) {
        this.dynamo = dynamo;
        this.pollsTable = settings.pollsTable();
    }

    @Override
    public Optional<Slot> take(String caller, int limit, Instant now, Instant until) {
        String holder = UUID.randomUUID().toString();
        int first = ThreadLocalRandom.current().nextInt(limit);
        for (int i = 0; i < limit; i++) {
            int slot = (first + i) % limit;
            try {
                DynamoRetry.call(() -> dynamo.putItem(r -> r.tableName(pollsTable)
                        .item(Map.of("caller", s(caller), "slot", n(slot), "holder", s(holder),
                                "heldUntil", n(until.toEpochMilli()), "expiresAt", n(until.plus(KEEP).getEpochSecond())))
                        .conditionExpression("attribute_not_exists(caller) OR heldUntil < :now")
                        .expressionAttributeValues(Map.of(":now", n(now.toEpochMilli())))
                        .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)));
                return Optional.of(new Slot(caller, slot, holder));
            } catch (ConditionalCheckFailedException held) {
                // Held by another poll of this caller: the next slot. Unless the holder is this poll: a put that
                // landed, then was retried because its answer was lost.
                if (held.hasItem() && holder.equals(Dynamo.str(held.item(), "holder"))) {
                    return Optional.of(new Slot(caller, slot, holder));
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public void giveBack(Slot slot) {
        try {
            DynamoRetry.call(() -> dynamo.deleteItem(r -> r.tableName(pollsTable).key(key(slot))
                    .conditionExpression("holder = :holder")
                    .expressionAttributeValues(Map.of(":holder", s(slot.holder())))));
        } catch (ConditionalCheckFailedException lapsed) {
            // it lapsed and another poll holds it now
        } catch (RuntimeException notGiven) {
            // The poll's answer matters more: the slot lapses at its heldUntil anyway.
            LOG.warning(() -> "long-poll slot " + slot.slot() + " of " + slot.caller() + " not given back (it lapses by itself): " + notGiven);
        }
    }

    private static Map<String, AttributeValue> key(Slot slot) {
        return Map.of("caller", s(slot.caller()), "slot", n(slot.slot()));
    }
}
