package dev.runlane.localcloud.lambda;

/** What the Runtime API's {@code /invocation/next} hands a sandbox (body and headers). */
public record NextInvocation(String requestId, long deadlineMs, String functionArn, String traceId, byte[] payload) {
}
