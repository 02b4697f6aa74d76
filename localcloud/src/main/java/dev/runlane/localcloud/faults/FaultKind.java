package dev.runlane.localcloud.faults;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** What a fault does, by its JSON name, and the fields each kind takes besides kind, count and probability. */
public enum FaultKind {
    /** The handler gets the invocation delayMs late, as after a slow cold start. */
    DELAY("delay", Set.of("function", "delayMs")),
    /** The sandbox's process tree is killed (SIGKILL) afterMs after the handler got the invocation. */
    KILL("kill", Set.of("function", "afterMs")),
    /**
     * The sandbox's process tree is killed (SIGKILL) at its {@code call}-th AWS call (DynamoDB, SQS, Step Functions)
     * of an invocation, counting from 1 and every request on the wire (SDK retries too; not INIT's calls):
     * {@code when} "before" (the default) the call never reaches AWS; "after" AWS applied it, and the answer is lost
     * with the process. The caller sees the crash as after a kill.
     */
    CRASH("crash", Set.of("function", "call", "when")),
    /** Invoke answers 429 TooManyRequestsException. */
    THROTTLE("throttle", Set.of("function")),
    /** Invoke answers 409 SnapStartNotReadyException. */
    SNAP_START_NOT_READY("snapStartNotReady", Set.of("function")),
    /** Invoke answers 408 SnapStartTimeoutException. */
    SNAP_START_TIMEOUT("snapStartTimeout", Set.of("function")),
    /** A forwarded AWS action fails with an AWS error instead of reaching moto. */
    AWS_ERROR("awsError", Set.of("action", "code", "status", "message")),
    /** An execution status-change event the rule would deliver is dropped. */
    DROP_STATUS_EVENTS("dropStatusEvents", Set.of());

    static final Set<String> COMMON_FIELDS = Set.of("kind", "count", "probability");

    private final String jsonName;
    private final Set<String> fields;

    FaultKind(String jsonName, Set<String> fields) {
        this.jsonName = jsonName;
        this.fields = fields;
    }

    public String jsonName() {
        return jsonName;
    }

    boolean takes(String field) {
        return COMMON_FIELDS.contains(field) || fields.contains(field);
    }

    List<String> fields() {
        return fields.stream().sorted().toList();
    }

    /** Whether the fault names a function (or applies to every function when it names none). */
    boolean aboutFunctions() {
        return fields.contains("function");
    }

    static FaultKind named(String name) {
        return Arrays.stream(values()).filter(k -> k.jsonName.equals(name)).findFirst()
                .orElseThrow(() -> new InvalidFaultException("unknown kind '" + name + "': use one of " + names()));
    }

    static List<String> names() {
        return Arrays.stream(values()).map(FaultKind::jsonName).toList();
    }
}
