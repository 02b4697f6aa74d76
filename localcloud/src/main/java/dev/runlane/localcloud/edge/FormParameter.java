package dev.runlane.localcloud.edge;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** One parameter of a URL query string or a form-encoded body. */
final class FormParameter {
    private FormParameter() {
    }

    /** The decoded value of the first {@code name=value} pair, or null. */
    static String of(String rawForm, String name) {
        if (rawForm == null) {
            return null;
        }
        for (String pair : rawForm.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }
}
