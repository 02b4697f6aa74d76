package dev.runlane.domain;

import java.util.Locale;
import java.util.Optional;

/**
 * What a start does when its thread is busy (has a run that is not terminal): wait its turn, cancel
 * every run enqueued before it, or be refused.
 */
public enum BusyPolicy {
    QUEUE, CANCEL_OTHERS, REJECT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Optional<BusyPolicy> fromWire(String value) {
        for (BusyPolicy policy : values()) {
            if (policy.wireName().equals(value)) {
                return Optional.of(policy);
            }
        }
        return Optional.empty();
    }
}
