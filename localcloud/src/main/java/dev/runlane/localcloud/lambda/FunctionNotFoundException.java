package dev.runlane.localcloud.lambda;

/** No function of that name is registered (Lambda's ResourceNotFoundException). */
public final class FunctionNotFoundException extends RuntimeException {
    public FunctionNotFoundException(String nameOrArn) {
        super("Function not found: " + nameOrArn);
    }
}
