package dev.runlane.daemon;

/** Which run, in which thread, under which fence token: the prefix of every log line about a run. */
public record RunRef(String runId, String threadId, long fenceToken) {

    @Override
    public String toString() {
        return "run " + Log.oneLine(runId) + " thread " + Log.oneLine(threadId) + " token " + fenceToken;
    }
}
