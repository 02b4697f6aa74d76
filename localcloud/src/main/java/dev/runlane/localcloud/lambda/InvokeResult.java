package dev.runlane.localcloud.lambda;

/**
 * The outcome of a synchronous invocation, shaped as Lambda's Invoke API answers it.
 *
 * @param functionError null on success, {@code "Unhandled"} when the function failed, timed out or crashed
 * @param logResult     tail of the invocation's log (plain text, at most 4 KB), may be null
 */
public record InvokeResult(int statusCode, String functionError, byte[] payload, String logResult) {
}
