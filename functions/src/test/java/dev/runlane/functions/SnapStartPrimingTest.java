package dev.runlane.functions;

import dev.runlane.testing.LambdaMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

/** The priming runs offline: the SDK's warm-up answers from canned responses, so no AWS call, region or credential is needed. */
class SnapStartPrimingTest {

    @Test
    void primingRunsTheRequestPathsWithoutReachingAws() {
        SnapStartPriming priming = new SnapStartPriming();
        assertDoesNotThrow(() -> priming.prime(LambdaMapper.MAPPER));
        assertDoesNotThrow(() -> priming.afterRestore(null));
    }
}
