package dev.runlane.localcloud.edge;

import com.sun.net.httpserver.HttpExchange;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Forwards a request to moto as it came (method, raw path and query, headers including Host and the signature, body)
 * and returns moto's answer as it came. A plain HTTP/1.1 exchange on a fresh socket: the JDK's HTTP clients refuse to
 * send a caller's Host header, and moto builds SQS queue URLs from it, so they must keep pointing at the edge.
 */
final class MotoForwarder {
    /** Per-connection headers, which the two hops negotiate each on their own. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "content-length", "expect");

    private final String host;
    private final int port;

    MotoForwarder(URI moto) {
        this.host = moto.getHost();
        this.port = moto.getPort();
    }

    /** @param body the request's body, already read */
    void forward(HttpExchange exchange, byte[] body) throws IOException {
        URI uri = exchange.getRequestURI();
        String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        StringBuilder head = new StringBuilder(exchange.getRequestMethod()).append(' ').append(target).append(" HTTP/1.1\r\n");
        for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
            if (!HOP_BY_HOP.contains(header.getKey().toLowerCase())) {
                header.getValue().forEach(value -> head.append(header.getKey()).append(": ").append(value).append("\r\n"));
            }
        }
        head.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");

        try (Socket socket = new Socket(host, port)) {
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String[] status;
            do { // skip interim 1xx answers
                status = line(in).split(" ", 3);
            } while (status[1].startsWith("1"));
            int code = Integer.parseInt(status[1]);
            boolean chunked = false;
            long length = -1;
            for (String line; !(line = line(in)).isEmpty(); ) {
                int colon = line.indexOf(':');
                String name = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                String lower = name.toLowerCase();
                if (lower.equals("transfer-encoding")) {
                    chunked = value.toLowerCase().contains("chunked");
                } else if (lower.equals("content-length")) {
                    length = Long.parseLong(value);
                } else if (!HOP_BY_HOP.contains(lower) && !lower.equals("date")) { // the edge's server sets Date itself
                    exchange.getResponseHeaders().add(name, value);
                }
            }
            boolean bodiless = exchange.getRequestMethod().equals("HEAD") || code == 204 || code == 304;
            byte[] answer = bodiless ? new byte[0] : chunked ? dechunk(in) : length >= 0 ? in.readNBytes((int) length) : in.readAllBytes();
            Responses.send(exchange, code, answer);
        }
    }

    private static byte[] dechunk(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int size; (size = Integer.parseInt(line(in).split(";", 2)[0].trim(), 16)) > 0; ) {
            out.write(in.readNBytes(size));
            line(in);
        }
        while (!line(in).isEmpty()) {
            // trailers: none that matter
        }
        return out.toByteArray();
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new EOFException("moto closed the connection mid-response");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
