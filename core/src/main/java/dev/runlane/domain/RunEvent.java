package dev.runlane.domain;

import java.time.Instant;

/** Something an attempt recorded while it held the newest fence token (progress, for now). */
public record RunEvent(String runId, int attempt, long fenceToken, Instant time, String type, String data) {
}
