package dev.runlane.domain;

import java.util.Locale;
import java.util.Optional;

/** Where a run executes: in Lambda (hosted, retried) or on a user's desktop daemon (never retried). */
public enum Target {
    HOSTED, DESKTOP;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Target> fromWire(String value) {
        for (Target target : values()) {
            if (target.wireName().equals(value)) {
                return Optional.of(target);
            }
        }
        return Optional.empty();
    }
}
