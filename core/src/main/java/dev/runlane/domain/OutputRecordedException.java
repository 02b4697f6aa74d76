package dev.runlane.domain;

/**
 * The attempt holding this token has already recorded another output: one attempt records one output (a
 * daemon that ran its start frame twice must not overwrite the first end it reported). A newer attempt's
 * output still replaces an older one's.
 */
public class OutputRecordedException extends RuntimeException {
    public OutputRecordedException(String runId, long token) {
        super("run " + runId + " already recorded another output under fence token " + token);
    }
}
