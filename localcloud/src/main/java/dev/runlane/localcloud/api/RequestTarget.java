package dev.runlane.localcloud.api;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict checks and percent-decoding of a request's path and query. Whatever they refuse is the client's error
 * ({@link MalformedRequest}, answered 400), never a server one: a malformed escape, escaped bytes that are not UTF-8,
 * characters a URI cannot hold, control characters in the path.
 */
final class RequestTarget {
    private static final boolean[] PATH_CHARS = allowed("/");
    /** '[' and ']' as java.net.URI (which the front used to parse targets with) takes them in a query. */
    private static final boolean[] QUERY_CHARS = allowed("/?[]");

    private RequestTarget() {}

    /** Refuses a raw path that is not an absolute path of RFC 3986 characters and valid UTF-8 escapes. */
    static void checkPath(String rawPath) {
        if (rawPath == null || !rawPath.startsWith("/")) {
            throw new MalformedRequest("the request target is not an absolute path");
        }
        checkChars(rawPath, PATH_CHARS, "path");
        String decoded = decode(rawPath, false);
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new MalformedRequest("the path encodes a control character");
            }
        }
    }

    /** Refuses a raw query (null when there is none) of characters a URI cannot hold or with bad escapes. */
    static void checkQuery(String rawQuery) {
        if (rawQuery != null) {
            checkChars(rawQuery, QUERY_CHARS, "query");
            decode(rawQuery, true);
        }
    }

    /**
     * Percent-decodes as UTF-8; '+' becomes a space only when plusIsSpace (in a query, not in a path).
     *
     * @throws MalformedRequest when an escape is not '%' and two hex digits, or the escaped bytes are not UTF-8
     */
    static String decode(String raw, boolean plusIsSpace) {
        if (raw.indexOf('%') < 0) {
            return plusIsSpace ? raw.replace('+', ' ') : raw;
        }
        StringBuilder out = new StringBuilder(raw.length());
        byte[] run = new byte[raw.length() / 3];
        int i = 0;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            if (c != '%') {
                out.append(plusIsSpace && c == '+' ? ' ' : c);
                i++;
                continue;
            }
            // a run of escapes is one byte sequence: a character may take several
            int length = 0;
            while (i < raw.length() && raw.charAt(i) == '%') {
                int high = i + 1 < raw.length() ? hex(raw.charAt(i + 1)) : -1;
                int low = i + 2 < raw.length() ? hex(raw.charAt(i + 2)) : -1;
                if (high < 0 || low < 0) {
                    throw new MalformedRequest("a '%' that is not followed by two hex digits");
                }
                run[length++] = (byte) (high << 4 | low);
                i += 3;
            }
            out.append(utf8(run, length));
        }
        return out.toString();
    }

    private static String utf8(byte[] bytes, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MalformedRequest("percent-encoded bytes that are not UTF-8");
        }
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static void checkChars(String raw, boolean[] allowed, String part) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c >= allowed.length || !allowed[c]) {
                throw new MalformedRequest(String.format("the %s holds a character a URI cannot hold (U+%04X)", part, (int) c));
            }
        }
    }

    /** RFC 3986 pchar (unreserved, sub-delims, ':', '@', and '%' for escapes) plus the given characters. */
    private static boolean[] allowed(String extra) {
        boolean[] allowed = new boolean[128];
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@%" + extra;
        for (int i = 0; i < chars.length(); i++) {
            allowed[chars.charAt(i)] = true;
        }
        return allowed;
    }
}
