package dev.runlane.dispatch;

import dev.runlane.domain.RunPayloads;

/** An attempt returned more output than a run may record: the run fails (not retried: it would repeat). */
public class OutputTooLargeException extends RuntimeException {
    public OutputTooLargeException(long bytes) {
        super("the output has " + bytes + " bytes; a run records at most " + RunPayloads.MAX_OUTPUT_BYTES);
    }
}
