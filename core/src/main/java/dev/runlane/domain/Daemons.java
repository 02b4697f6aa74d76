package dev.runlane.domain;

import java.time.Instant;
import java.util.Optional;

/** Registered desktop daemons; only a hash of each daemon's credential is stored. */
public interface Daemons {

    /** Registers the daemon; false when one with this id exists. */
    boolean register(String daemonId, String credentialHash, Instant at);

    Optional<String> credentialHash(String daemonId);

    /** Replaces the daemon's credential hash in one write; false when no daemon has this id. */
    boolean replaceCredential(String daemonId, String credentialHash, Instant at);

    /** Removes the daemon, and its credential hash with it; false when no daemon had this id. */
    boolean remove(String daemonId);

    default boolean isRegistered(String daemonId) {
        return credentialHash(daemonId).isPresent();
    }
}
