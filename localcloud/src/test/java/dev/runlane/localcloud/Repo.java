package dev.runlane.localcloud;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository root (where template.yaml lives) from the module's working directory. */
public final class Repo {
    private Repo() {}

    public static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("template.yaml"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("template.yaml not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    public static Path template() {
        return root().resolve("template.yaml");
    }
}
