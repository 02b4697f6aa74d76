package dev.runlane.domain;

import java.util.List;

/** Each daemon's frames, kept until the daemon acknowledges them (and expired by TTL). */
public interface Frames {

    /** Leaves a frame that needs no fence (a cancel; start frames go through {@link Fence#sendStart}). */
    void send(Frame frame);

    /**
     * Every frame of the daemon not yet acknowledged, oldest (by id) first, at most {@code limit}. Never
     * "after a cursor": a frame may commit after a later-stamped one was read, and must still be delivered.
     */
    List<Frame> unacknowledged(String daemonId, int limit);

    /**
     * Removes the frames; returns the ids this call removed. A frame already gone (acknowledged by another
     * call, or dropped) is not among them: a daemon claims a start frame by being the one that removed it.
     */
    List<String> acknowledge(String daemonId, List<String> frameIds);
}
