package dev.runlane.e2e;

import java.time.Duration;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives scenarios the {@link E2eStack}: one for the whole test run, kept in the root store (JUnit
 * closes it, an AutoCloseable, when the run ends), and logs each scenario's duration.
 */
public final class StackExtension implements ParameterResolver, BeforeTestExecutionCallback, AfterTestExecutionCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StackExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == E2eStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(E2eStack.class, type -> E2eStack.open(), E2eStack.class);
    }

    @Override
    public void beforeTestExecution(ExtensionContext context) {
        context.getStore(NAMESPACE).put("started", System.nanoTime());
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        Long started = context.getStore(NAMESPACE).remove("started", Long.class);
        if (started != null) {
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            System.out.printf("[e2e] %s.%s: %s in %.1f s%n", context.getRequiredTestClass().getSimpleName(),
                    context.getRequiredTestMethod().getName(), context.getExecutionException().isPresent() ? "FAILED" : "passed",
                    took.toMillis() / 1000.0);
        }
    }
}
