package dev.runlane.localcloud.faults;

import java.util.Locale;
import java.util.Set;

/**
 * One fault to inject, as written (in JSON or with the factories below). Fields a kind does not take are null or 0.
 *
 * @param function    delay, kill, crash, throttle, snapStart*: the function (logical id, name or ARN); null = every function
 * @param action      awsError: {@code service:Action}, e.g. {@code dynamodb:TransactWriteItems}
 * @param count       how many times it fires
 * @param probability the chance that a matching call fires it, while count remains
 * @param status      awsError: the HTTP status (0 = the code's usual one: 500/503 for server errors, else 400)
 * @param message     awsError: the error message (null = AWS's usual one for the code)
 * @param call        crash: which AWS call of an invocation it strikes, counting from 1
 * @param when        crash: before that call reaches AWS, or after AWS applied it but before its answer
 */
public record Fault(FaultKind kind, String function, String action, int count, double probability, long delayMs,
                    long afterMs, String code, int status, String message, int call, When when) {
    public static final long DEFAULT_KILL_AFTER_MS = 200;
    /** Where a crash strikes, relative to its call. */
    public enum When { BEFORE, AFTER }

    /** The services whose calls the edge forwards to moto, by their signing names. */
    static final Set<String> FORWARDED_SERVICES = Set.of("dynamodb", "sqs", "states");

    public Fault {
        if (kind == null) {
            throw new InvalidFaultException("kind is missing");
        }
        if (count < 1) {
            throw new InvalidFaultException("count must be at least 1, not " + count);
        }
        if (!(probability >= 0 && probability <= 1)) {
            throw new InvalidFaultException("probability must be between 0 and 1, not " + probability);
        }
        if (kind == FaultKind.DELAY && delayMs <= 0) {
            throw new InvalidFaultException("delay needs delayMs above 0");
        }
        if (delayMs < 0 || afterMs < 0) {
            throw new InvalidFaultException("delayMs and afterMs cannot be negative");
        }
        if (kind == FaultKind.AWS_ERROR) {
            action = action(action);
            if (code == null || code.isBlank()) {
                throw new InvalidFaultException("awsError needs a code, e.g. \"ProvisionedThroughputExceededException\"");
            }
            status = status == 0 ? usualStatus(code) : status;
            if (status < 400 || status > 599) {
                throw new InvalidFaultException("status must be an HTTP error status (400-599), not " + status);
            }
        }
        if (kind == FaultKind.CRASH) {
            if (call < 1) {
                throw new InvalidFaultException("crash needs call, the invocation's AWS call it strikes, at least 1, not " + call);
            }
            when = when == null ? When.BEFORE : when;
        }
    }

    public static Fault delay(String function, int count, long delayMs) {
        return new Fault(FaultKind.DELAY, function, null, count, 1, delayMs, 0, null, 0, null, 0, null);
    }

    public static Fault kill(String function, int count) {
        return kill(function, count, DEFAULT_KILL_AFTER_MS);
    }

    public static Fault kill(String function, int count, long afterMs) {
        return new Fault(FaultKind.KILL, function, null, count, 1, 0, afterMs, null, 0, null, 0, null);
    }

    /** Kills the function's sandbox as its {@code call}-th AWS call of an invocation goes out, before it reaches AWS. */
    public static Fault crashBefore(String function, int count, int call) {
        return new Fault(FaultKind.CRASH, function, null, count, 1, 0, 0, null, 0, null, call, When.BEFORE);
    }

    /** Kills the function's sandbox once AWS applied its {@code call}-th AWS call of an invocation, before the answer gets back. */
    public static Fault crashAfter(String function, int count, int call) {
        return new Fault(FaultKind.CRASH, function, null, count, 1, 0, 0, null, 0, null, call, When.AFTER);
    }

    public static Fault throttle(String function, int count) {
        return new Fault(FaultKind.THROTTLE, function, null, count, 1, 0, 0, null, 0, null, 0, null);
    }

    public static Fault snapStartNotReady(String function, int count) {
        return new Fault(FaultKind.SNAP_START_NOT_READY, function, null, count, 1, 0, 0, null, 0, null, 0, null);
    }

    public static Fault snapStartTimeout(String function, int count) {
        return new Fault(FaultKind.SNAP_START_TIMEOUT, function, null, count, 1, 0, 0, null, 0, null, 0, null);
    }

    /**
     * @param action e.g. {@code dynamodb:TransactWriteItems}
     * @param code   e.g. {@code TransactionConflict}, {@code ProvisionedThroughputExceededException}
     */
    public static Fault awsError(String action, int count, String code) {
        return new Fault(FaultKind.AWS_ERROR, null, action, count, 1, 0, 0, code, 0, null, 0, null);
    }

    public static Fault dropStatusEvents(int count) {
        return new Fault(FaultKind.DROP_STATUS_EVENTS, null, null, count, 1, 0, 0, null, 0, null, 0, null);
    }

    public Fault withProbability(double p) {
        return new Fault(kind, function, action, count, p, delayMs, afterMs, code, status, message, call, when);
    }

    public Fault withStatus(int s) {
        return new Fault(kind, function, action, count, probability, delayMs, afterMs, code, s, message, call, when);
    }

    public Fault withMessage(String m) {
        return new Fault(kind, function, action, count, probability, delayMs, afterMs, code, status, m, call, when);
    }

    Fault withFunction(String f) {
        return new Fault(kind, f, action, count, probability, delayMs, afterMs, code, status, message, call, when);
    }

    /** What a call must be for this fault to fire on it: the function or the action; null matches every call. */
    String target() {
        return kind == FaultKind.AWS_ERROR ? action : function;
    }

    private static String action(String action) {
        int colon = action == null ? -1 : action.indexOf(':');
        if (colon <= 0 || colon == action.length() - 1) {
            throw new InvalidFaultException("awsError needs an action as service:Action, e.g. \"dynamodb:TransactWriteItems\", not " + action);
        }
        String service = action.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!FORWARDED_SERVICES.contains(service)) {
            throw new InvalidFaultException("awsError applies to " + FORWARDED_SERVICES.stream().sorted().toList()
                    + " actions (for Lambda use throttle, snapStartNotReady, kill or delay), not " + action);
        }
        return service + action.substring(colon);
    }

    private static int usualStatus(String code) {
        return switch (code) {
            case "InternalServerError", "InternalFailure", "InternalServerException" -> 500;
            case "ServiceUnavailable", "ServiceUnavailableException" -> 503;
            default -> 400;
        };
    }
}
