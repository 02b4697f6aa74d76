package dev.runlane.localcloud.faults;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.UnaryOperator;

/**
 * The local cloud's active faults. The Lambda service, the edge and the status rule ask it, on each call they serve,
 * whether a fault fires there; a fault fires at most {@code count} times, each matching call with its probability.
 * Thread-safe: every read and change holds the registry's lock.
 */
public final class Faults {
    private final UnaryOperator<String> functionNames;
    private final Consumer<String> log;
    private final DoubleSupplier random;
    /** Every fault armed since the last clear, used-up ones too, so that their fired counts stay readable. */
    private final List<ArmedFault> armed = new ArrayList<>();
    private final Map<FaultKind, Long> fired = new EnumMap<>(FaultKind.class);
    private long ids;

    /**
     * @param functionNames the physical name of the function a fault names (logical id, name or ARN); throws
     *                      {@link InvalidFaultException} for a function that does not exist
     */
    public Faults(UnaryOperator<String> functionNames, Consumer<String> log) {
        this(functionNames, log, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** @param random draws in [0, 1) for faults with a probability below 1 */
    public Faults(UnaryOperator<String> functionNames, Consumer<String> log, DoubleSupplier random) {
        this.functionNames = functionNames;
        this.log = log;
        this.random = random;
    }

    /** Arms every fault, or none if one is invalid; returns them in order, with their ids. */
    public synchronized List<ArmedFault> add(List<Fault> faults) {
        List<Fault> resolved = faults.stream()
                .map(f -> f.function() == null ? f : f.withFunction(functionNames.apply(f.function()))).toList();
        List<ArmedFault> added = resolved.stream().map(f -> new ArmedFault("fault-" + ++ids, f)).toList();
        armed.addAll(added);
        return added;
    }

    public ArmedFault add(Fault fault) {
        return add(List.of(fault)).getFirst();
    }

    /** @param json one fault object, an array of them, or {"faults": [...]} (see {@link FaultJson}) */
    public List<ArmedFault> add(String json) {
        return add(FaultJson.parse(json));
    }

    /** The faults that can still fire, oldest first. */
    public synchronized List<ArmedFault> active() {
        return armed.stream().filter(f -> f.remaining() > 0).toList();
    }

    /** Every fault armed since the last {@link #clear()}, oldest first; used-up ones have nothing remaining. */
    public synchronized List<ArmedFault> armed() {
        return List.copyOf(armed);
    }

    /** Disarms a fault (and forgets it); false if none has that id. */
    public synchronized boolean remove(String id) {
        return armed.removeIf(f -> f.id().equals(id));
    }

    /** Removes every fault and resets the fired totals. */
    public synchronized void clear() {
        armed.clear();
        fired.clear();
    }

    /** How many times faults of a kind fired since the start or the last {@link #clear()}. */
    public synchronized long fired(FaultKind kind) {
        return fired.getOrDefault(kind, 0L);
    }

    public synchronized Map<FaultKind, Long> firedByKind() {
        Map<FaultKind, Long> totals = new EnumMap<>(FaultKind.class);
        for (FaultKind kind : FaultKind.values()) {
            totals.put(kind, fired(kind));
        }
        return totals;
    }

    /**
     * The first active fault of one of these kinds that matches the call and fires on it, counted as fired.
     *
     * @param target the function's physical name, or the forwarded call's {@code service:Action}
     */
    public Optional<Fault> fire(String target, FaultKind... kinds) {
        return fire(target, 0, kinds);
    }

    /**
     * As {@link #fire(String, FaultKind...)} for an invocation's {@code call}-th AWS call: a fault that names a call
     * (a crash) fires only there.
     */
    public synchronized Optional<Fault> fire(String target, int call, FaultKind... kinds) {
        for (ArmedFault candidate : armed) {
            Fault fault = candidate.fault();
            if (candidate.remaining() > 0 && List.of(kinds).contains(fault.kind()) && matches(fault, target)
                    && (fault.call() == 0 || fault.call() == call) && random.getAsDouble() < fault.probability()) {
                candidate.fire();
                fired.merge(fault.kind(), 1L, Long::sum);
                log.accept("fault " + candidate.id() + " fired (" + fault.kind().jsonName() + " on " + target
                        + (call > 0 ? " at AWS call " + call : "") + ", " + candidate.remaining() + " left)");
                return Optional.of(fault);
            }
        }
        return Optional.empty();
    }

    /** The physical name of a function named by logical id, name or ARN, as faults name it; throws for an unknown one. */
    public String functionName(String given) {
        return functionNames.apply(given);
    }

    private static boolean matches(Fault fault, String target) {
        return fault.target() == null || fault.target().equalsIgnoreCase(target);
    }
}
