package dev.runlane.localcloud.faults;

/** A fault in the registry: its id and how often it fired so far; it stays readable after it is used up or removed. */
public final class ArmedFault {
    private final String id;
    private final Fault fault;
    private volatile int remaining;
    private volatile int fired;

    ArmedFault(String id, Fault fault) {
        this.id = id;
        this.fault = fault;
        this.remaining = fault.count();
    }

    public String id() {
        return id;
    }

    public Fault fault() {
        return fault;
    }

    /** How many more times it fires. */
    public int remaining() {
        return remaining;
    }

    public int fired() {
        return fired;
    }

    /** Called under the registry's lock. */
    void fire() {
        remaining--;
        fired++;
    }

    @Override
    public String toString() {
        return FaultJson.render(this).toString();
    }
}
