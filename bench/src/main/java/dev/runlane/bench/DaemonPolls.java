package dev.runlane.bench;

import java.util.Map;

/**
 * One way a connected daemon polls its frames while idle, as measured on the local cloud: the billed
 * milliseconds of the frames function (at the template's memory) and the DynamoDB read units of one
 * poll that finds nothing. Priced for a month, it is what a daemon costs while it waits for work.
 */
record DaemonPolls(String mode, int waitSeconds, int intervalSeconds, double billedMsPerPoll, int memoryMb,
                   double readUnitsPerPoll, Map<String, Double> monthUsd) {
    static final double MONTH_SECONDS = 30 * 24 * 3600;

    static DaemonPolls of(String mode, int waitSeconds, int intervalSeconds, double billedMsPerPoll, int memoryMb,
                          double readUnitsPerPoll, Bill bill) {
        double polls = pollsPerMonth(waitSeconds, intervalSeconds);
        return new DaemonPolls(mode, waitSeconds, intervalSeconds, billedMsPerPoll, memoryMb, readUnitsPerPoll,
                bill.perMonth(polls, polls * billedMsPerPoll / 1000.0 * memoryMb / 1024.0, polls * readUnitsPerPoll));
    }

    /** One poll every wait + interval seconds, all month. */
    static double pollsPerMonth(int waitSeconds, int intervalSeconds) {
        return MONTH_SECONDS / (waitSeconds + intervalSeconds);
    }

    double pollsPerMonth() {
        return pollsPerMonth(waitSeconds, intervalSeconds);
    }
}
