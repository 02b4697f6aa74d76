package dev.runlane.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder in front of the API, for a daemon whose network a scenario takes down: once
 * {@link #cut()}, every open connection is closed and every new one dropped at once, so each call the
 * daemon makes fails as on a laptop that lost its network.
 */
final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final URI target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;

    TcpProxy(URI target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("proxy-accept").start(this::accept);
    }

    /** The URL to give the daemon instead of the API's. */
    URI url() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** The network goes down: open connections are closed, new ones dropped. */
    void cut() {
        cut = true;
        open.forEach(TcpProxy::quietly);
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException closed) {
                return;
            }
            if (cut) {
                quietly(client);
            } else {
                Thread.ofVirtual().name("proxy-relay").start(() -> relay(client));
            }
        }
    }

    private void relay(Socket client) {
        try (client; Socket upstream = new Socket(target.getHost(), target.getPort())) {
            open.add(client);
            open.add(upstream);
            if (cut) {
                return;
            }
            Thread toUpstream = Thread.ofVirtual().start(() -> pump(client, upstream));
            pump(upstream, client);
            toUpstream.join();
        } catch (IOException | InterruptedException e) {
            // the connection ends; the daemon sees a network error
        } finally {
            open.removeIf(Socket::isClosed);
        }
    }

    private static void pump(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException e) {
            quietly(from);
            quietly(to);
        }
    }

    private static void quietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        cut();
        server.close();
    }
}
