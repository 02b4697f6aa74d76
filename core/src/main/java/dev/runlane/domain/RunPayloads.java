package dev.runlane.domain;

/**
 * A run's input and output (JSON texts), stored apart from its status item. The output is present
 * once an attempt holding the newest fence token recorded it; it is the run's result only when the
 * run SUCCEEDED.
 */
public record RunPayloads(String input, String output) {

    /** The largest output an attempt or a daemon may record (UTF-8 bytes of its JSON text). */
    public static final int MAX_OUTPUT_BYTES = 256 * 1024;
}
