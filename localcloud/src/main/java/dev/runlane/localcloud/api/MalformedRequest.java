package dev.runlane.localcloud.api;

/**
 * The client sent something that cannot be taken as it stands (a bad escape in the path, a body that broke off):
 * the front answers 400 {"message":"Bad Request"}. The reason goes to the log only, never to the client.
 */
final class MalformedRequest extends RuntimeException {
    MalformedRequest(String reason) {
        super(reason, null, false, false);
    }
}
