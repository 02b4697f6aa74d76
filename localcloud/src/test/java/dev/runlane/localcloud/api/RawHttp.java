package dev.runlane.localcloud.api;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Sends raw bytes to a server over a plain socket (java.net.http will not send a malformed request) and reads one
 * response, every read bounded by what is left of a deadline, so a server that does not answer fails the read.
 */
final class RawHttp implements AutoCloseable {
    /** One response: its status, headers (lower-cased names; the last value of each) and body. */
    record Answer(int status, Map<String, String> headers, String body) {}

    private final Socket socket;
    private final InputStream in;
    private long deadline;

    RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Writes the bytes without closing the sending side: a request that stalls stays stalled. */
    RawHttp send(byte[] request) throws IOException {
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
        return this;
    }

    /** The response, which must be complete within the bound; a read past it throws SocketTimeoutException. */
    Answer answer(Duration within) throws IOException {
        deadline = System.nanoTime() + within.toNanos();
        String head = new String(readHead(), StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP response: " + lines[0]);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        String length = headers.get("content-length");
        byte[] body = length != null ? readExactly(Integer.parseInt(length)) : readToEnd();
        return new Answer(Integer.parseInt(statusLine[1]), headers, new String(body, StandardCharsets.UTF_8));
    }

    /** True when the server closes the connection (reset counts) within the bound; false if it sent more bytes. */
    boolean closedWithin(Duration within) throws IOException {
        deadline = System.nanoTime() + within.toNanos();
        try {
            return read() < 0;
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            return true;
        }
    }

    private byte[] readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = read();
            if (b < 0) {
                throw new IOException("the connection closed before a response (" + head.size() + " bytes)");
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toByteArray();
    }

    private byte[] readExactly(int length) throws IOException {
        byte[] body = new byte[length];
        for (int i = 0; i < length; i++) {
            int b = read();
            if (b < 0) {
                throw new IOException("the body ended after " + i + " of " + length + " bytes");
            }
            body[i] = (byte) b;
        }
        return body;
    }

    private byte[] readToEnd() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int b = read(); b >= 0; b = read()) {
            body.write(b);
        }
        return body.toByteArray();
    }

    private int read() throws IOException {
        long left = Duration.ofNanos(deadline - System.nanoTime()).toMillis();
        if (left <= 0) {
            throw new SocketTimeoutException("no complete answer within the bound");
        }
        socket.setSoTimeout((int) left);
        return in.read();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
