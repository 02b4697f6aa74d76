package dev.runlane.functions;

import dev.runlane.aws.Settings;
import io.smallrye.config.ConfigMapping;

/** The adapters' settings read from the function's environment; defaults in application.properties. */
@ConfigMapping(prefix = "runlane")
public interface FunctionSettings extends Settings {
}
