package dev.runlane.localcloud.lambda;

import java.util.List;

/**
 * One recent invocation of a function, as the edge's {@code /_runlane/invocations} lists it.
 *
 * @param state     running, succeeded or failed
 * @param errorType the failure's errorType (e.g. Runtime.ExitError for a crash), null unless failed
 * @param callCount the AWS calls the handler made through the edge, SDK retries included
 * @param calls     those calls in order, as {@code service:Action} (the first 256)
 */
public record RecentInvocation(String requestId, String sandbox, String state, String errorType, int callCount, List<String> calls) {
}
