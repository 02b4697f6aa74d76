package dev.runlane.daemon;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/** Sends a run's reports ({@code heartbeat}, {@code progress}, {@code succeeded}, {@code failed}). */
public interface Reporter {

    /** How the API answered a report. */
    enum Outcome {
        /** 202: taken. */
        ACCEPTED,
        /** 409 ({@code StaleFenceToken}, {@code RunEnded}): the run is no longer ours, abandon it. */
        FENCED_OUT,
        /** 404: the API does not know the run, abandon it. */
        UNKNOWN_RUN,
        /** 403 ({@code NotYourRun}): the run is dispatched to another daemon, abandon it. */
        NOT_OURS,
        /** 401: the credential is wrong; the daemon must stop. */
        CREDENTIAL_REJECTED,
        /** Any other 4xx: the report itself was refused; sending it again would not help. */
        REFUSED
    }

    /** The answer and, when the API gave one, its error code and message. */
    record Result(Outcome outcome, int status, String code, String message) {

        @Override
        public String toString() {
            return status + (code == null ? "" : " " + code) + (message == null ? "" : " (" + message + ")");
        }
    }

    /**
     * @throws IOException when no definitive answer came (network error, 5xx, 429): worth retrying
     */
    Result report(String runId, ObjectNode body) throws IOException, InterruptedException;
}
