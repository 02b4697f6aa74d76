package dev.runlane.runs;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * Identifiers. Thread, run and daemon ids are also SQS message group ids, Step Functions execution
 * names and daemon directory names, so they are kept to letters, digits, '-' and '_'.
 */
public final class RunIds {
    /** Thread and daemon ids: 1-64 characters, starting with a letter or digit. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    /** {@link #ID} in words, as refusals say it: "{@code <name> must be <RULE>}". */
    public static final String RULE = "1-64 letters, digits, '-' or '_', starting with a letter or digit";
    /** Idempotency keys: 1-128 visible ASCII characters. */
    public static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7E]{1,128}");

    private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final class Random {
        // Lazily created: nothing random may exist before a SnapStart snapshot.
        static final SecureRandom INSTANCE = new SecureRandom();
    }

    private RunIds() {
    }

    public static boolean isValid(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** A new run id, sortable by creation time (ULID layout: 48 bits of milliseconds, 80 random bits). */
    public static String newRunId(Instant now) {
        byte[] random = randomBytes(10);
        StringBuilder id = new StringBuilder("run-");
        long millis = now.toEpochMilli();
        for (int shift = 45; shift >= 0; shift -= 5) {
            id.append(CROCKFORD[(int) (millis >>> shift) & 31]);
        }
        appendBase32(id, random, 16);
        return id.toString();
    }

    /** The run id an idempotency key stands for on a thread: the same key always names the same run. */
    public static String forIdempotencyKey(String threadId, String key) {
        StringBuilder id = new StringBuilder("run-k");
        appendBase32(id, sha256(threadId + "\n" + key), 25);
        return id.toString();
    }

    /** Random bytes from one SecureRandom, created on first use, after any SnapStart restore. */
    public static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        Random.INSTANCE.nextBytes(bytes);
        return bytes;
    }

    public static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static void appendBase32(StringBuilder out, byte[] bytes, int chars) {
        int buffer = 0;
        int bits = 0;
        for (int i = 0; i < bytes.length && chars > 0; i++) {
            buffer = (buffer << 8) | (bytes[i] & 0xFF);
            bits += 8;
            while (bits >= 5 && chars > 0) {
                out.append(CROCKFORD[(buffer >>> (bits - 5)) & 31]);
                bits -= 5;
                chars--;
            }
        }
    }
}
