package dev.runlane.localcloud.lambda;

/** No function of that name is registered (Lambda's ResourceNotFoundException). */
public final class FunctionNotFoundException extends InvokeRejectedException {
    public FunctionNotFoundException(String nameOrArn) {
        super(404, "ResourceNotFoundException", "message", "Function not found: " + nameOrArn);
    }
}
