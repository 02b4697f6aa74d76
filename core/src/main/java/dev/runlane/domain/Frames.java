package dev.runlane.domain;

import java.util.List;

/** Each daemon's frames, kept until the daemon acknowledges them (and expired by TTL). */
public interface Frames {

    /** Leaves a frame that needs no fence (a cancel; start frames go through {@link Fence#sendStart}). */
    void send(Frame frame);

    /** The daemon's frames after the cursor (a frame id), oldest first. */
    List<Frame> after(String daemonId, String cursor, int limit);

    void acknowledge(String daemonId, List<String> frameIds);
}
