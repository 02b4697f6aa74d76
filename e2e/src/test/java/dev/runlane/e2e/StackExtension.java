package dev.runlane.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives scenarios the {@link E2eStack}: one for the whole test run, kept in the root store (JUnit
 * closes it, an AutoCloseable, when the run ends), and logs each scenario's duration.
 *
 * <p>Which stack: a scenario class inside a class annotated {@link OnLocalStack} (the nested classes
 * of {@link LocalStackParityIT}) gets the template deployed into LocalStack ({@link LocalStackStack}),
 * kept in that class's store, so it is stopped when that class ends. Every other one gets
 * {@link E2eStack#open()} (the local cloud, or the stack named by {@code RUNLANE_E2E_API_URL}), unless
 * the configuration parameter or system property {@value #STACK} is {@value #LOCALSTACK}: then every
 * scenario runs on one LocalStack. A LocalStack scenario is disabled, with the reason, where LocalStack
 * cannot run (no Docker, no auth token).
 */
public final class StackExtension implements ParameterResolver, ExecutionCondition, BeforeTestExecutionCallback, AfterTestExecutionCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StackExtension.class);

    /** The configuration parameter (or system property) that puts every scenario on LocalStack. */
    public static final String STACK = "runlane.e2e.stack";
    public static final String LOCAL = "local";
    public static final String LOCALSTACK = "localstack";

    /** The scenario classes nested in a class with this annotation run on LocalStack. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface OnLocalStack {}

    /** Where a scenario's LocalStack lives: the context of its {@link OnLocalStack} class, else the root (everything on LocalStack). */
    private static Optional<ExtensionContext> localStackScope(ExtensionContext context) {
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            if (c.getTestClass().map(type -> type.isAnnotationPresent(OnLocalStack.class)).orElse(false)) {
                return Optional.of(c);
            }
        }
        String kind = context.getConfigurationParameter(STACK).orElse(LOCAL).trim();
        if (!kind.equals(LOCAL) && !kind.equals(LOCALSTACK)) {
            throw new IllegalArgumentException(STACK + " must be " + LOCAL + " or " + LOCALSTACK + ", not " + kind);
        }
        return kind.equals(LOCALSTACK) ? Optional.of(context.getRoot()) : Optional.empty();
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (localStackScope(context).isEmpty()) {
            return ConditionEvaluationResult.enabled("stack: " + LOCAL);
        }
        return LocalStackStack.unavailable()
                .map(ConditionEvaluationResult::disabled)
                .orElseGet(() -> ConditionEvaluationResult.enabled("stack: LocalStack"));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == E2eStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Optional<ExtensionContext> localStack = localStackScope(context);
        if (localStack.isPresent()) {
            // Started once per scope: a LocalStack that failed to start or deploy fails every scenario at once, with its error.
            return localStack.get().getStore(NAMESPACE).computeIfAbsent(Started.class, type -> Started.of(), Started.class).stack();
        }
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(E2eStack.class, type -> E2eStack.open(), E2eStack.class);
    }

    /** A LocalStack start: the stack, or why there is none. */
    private record Started(E2eStack started, RuntimeException failure) implements AutoCloseable {
        static Started of() {
            try {
                return new Started(LocalStackStack.open(), null);
            } catch (RuntimeException e) {
                return new Started(null, e);
            } catch (AssertionError e) {
                return new Started(null, new IllegalStateException(e.getMessage(), e));
            }
        }

        E2eStack stack() {
            if (failure != null) {
                throw new IllegalStateException("LocalStack did not start: " + failure.getMessage(), failure);
            }
            return started;
        }

        @Override
        public void close() {
            if (started != null) {
                started.close();
            }
        }
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
                    context.getRequiredTestMethod().getName(), context.getExecutionException()
                            .map(e -> e instanceof org.opentest4j.TestAbortedException ? "skipped" : "FAILED").orElse("passed"),
                    took.toMillis() / 1000.0);
        }
    }
}
