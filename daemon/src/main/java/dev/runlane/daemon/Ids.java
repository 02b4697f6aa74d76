package dev.runlane.daemon;

import java.util.regex.Pattern;

/**
 * The rule for daemon ids and thread ids. It is the server's rule, copied from {@code RunIds.ID} in
 * {@code functions/src/main/java/dev/runlane/runs/RunIds.java} (worded as the server's messages word it)
 * until a module shared by both exists: the daemon must never accept an id that the API refuses. A
 * valid id is also a plain directory name.
 */
final class Ids {

    /** Thread and daemon ids: 1-64 characters, starting with a letter or digit (RunIds.ID). */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    /** The rule in words, as in the server's "{@code <name> must be <RULE>}" refusals. */
    static final String RULE = "1-64 letters, digits, '-' or '_', starting with a letter or digit";

    private Ids() {
    }

    static boolean isValid(String id) {
        return id != null && ID.matcher(id).matches();
    }
}
