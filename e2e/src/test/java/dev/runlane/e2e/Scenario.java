package dev.runlane.e2e;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** A scenario class: the shared stack and its API, started once for the whole test run. */
@ExtendWith(StackExtension.class)
abstract class Scenario {
    static E2eStack stack;
    static Api api;

    @BeforeAll
    static void connect(E2eStack shared) {
        stack = shared;
        api = shared.api();
    }
}
