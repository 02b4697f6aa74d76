package dev.runlane.localcloud;

/** How the API front and the event sources call a function (the Lambda service, or a stand-in in tests). */
public interface FunctionInvoker {
    /** Synchronous (RequestResponse) invocation. */
    Result invoke(String function, byte[] payload);

    /** Asynchronous (Event) invocation: queued, not awaited. */
    void invokeAsync(String function, byte[] payload);

    /** @param functionError null on success, else Lambda's X-Amz-Function-Error (e.g. "Unhandled") */
    record Result(String functionError, byte[] payload) {
        public boolean failed() {
            return functionError != null;
        }
    }
}
