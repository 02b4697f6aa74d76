package dev.runlane.e2e;

import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.TestClassOrder;

/**
 * The LocalStack parity suite: the basic end-to-end scenarios, the very classes the local cloud runs
 * (each nested class only extends one), against template.yaml deployed into LocalStack
 * ({@link LocalStackStack}). {@link StackExtension} gives them one LocalStack, started for this class
 * (template deployed, one echo run to warm its functions) and stopped after it. Without Docker (or without {@code LOCALSTACK_AUTH_TOKEN}) every scenario is
 * skipped with the reason.
 */
@StackExtension.OnLocalStack
@DisplayName("LocalStack parity: basic e2e scenarios on template.yaml deployed into LocalStack")
@TestClassOrder(ClassOrderer.DisplayName.class) // a, b, c, ... as on the local cloud
class LocalStackParityIT {

    @Nested
    @DisplayName("a. a hosted echo run")
    class EchoRun extends ScenarioA_EchoRunIT {}

    @Nested
    @DisplayName("b. thread order and a busy thread")
    class ThreadOrder extends ScenarioB_ThreadOrderIT {}

    @Nested
    @DisplayName("c. idempotency")
    class Idempotency extends ScenarioC_IdempotencyIT {}

    @Nested
    @DisplayName("d. retried attempts")
    class RetriedAttempts extends ScenarioD_RetriedAttemptsIT {}

    @Nested
    @DisplayName("g. cancel")
    class Cancel extends ScenarioG_CancelIT {}

    @Nested
    @DisplayName("h. an execution stopped from outside")
    class StoppedExecution extends ScenarioH_StoppedExecutionIT {}
}
