package dev.runlane.e2e;

import java.util.Locale;
import java.util.UUID;

/** Unique ids per test run, so scenarios never see each other's runs (or those of an earlier suite run on the same stack). */
public final class Ids {
    private Ids() {}

    /** A thread id like {@code e2e-b-3-k2j9x0q1ab}: valid as thread id, message group and daemon id. */
    public static String thread(String scenario) {
        return "e2e-" + scenario + "-" + random();
    }

    public static String random() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
    }
}
