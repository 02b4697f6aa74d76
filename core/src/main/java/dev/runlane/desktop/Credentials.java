package dev.runlane.desktop;

import dev.runlane.runs.RunIds;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Daemon credentials: {@code rld.<daemonId>.<256 random bits>}. Only their SHA-256 is stored; a
 * salt adds nothing to a secret of 256 random bits. The daemon id inside lets a request be checked
 * against one stored hash.
 */
final class Credentials {
    private static final String PREFIX = "rld.";

    private Credentials() {
    }

    static String issue(String daemonId) {
        return PREFIX + daemonId + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(RunIds.randomBytes(32));
    }

    static String hash(String credential) {
        return HexFormat.of().formatHex(RunIds.sha256(credential));
    }

    /** The daemon a well-formed credential claims to be; empty for anything else. */
    static Optional<String> daemonOf(String credential) {
        if (credential == null || !credential.startsWith(PREFIX) || credential.length() > 200) {
            return Optional.empty();
        }
        int dot = credential.lastIndexOf('.');
        String daemonId = credential.substring(PREFIX.length(), Math.max(PREFIX.length(), dot));
        return RunIds.isValid(daemonId) ? Optional.of(daemonId) : Optional.empty();
    }

    static boolean matches(String credential, String storedHash) {
        return MessageDigest.isEqual(hash(credential).getBytes(StandardCharsets.US_ASCII),
                storedHash.getBytes(StandardCharsets.US_ASCII));
    }
}
