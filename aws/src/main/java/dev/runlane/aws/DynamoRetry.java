package dev.runlane.aws;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.TransactionConflictException;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Retries of DynamoDB calls whose failure gives no verdict: a transaction conflict, a throttle, a server
 * or network error (after the SDK's own retries) is tried again with bounded, jittered backoff; a failed
 * condition is a verdict and is never retried.
 */
final class DynamoRetry {
    private static final int MAX_TRIES = 8;
    private static final long BASE_BACKOFF_MS = 20;
    private static final long MAX_BACKOFF_MS = 1_000;

    private DynamoRetry() {
    }

    /** Runs a call, retrying what is transient; a failed condition (of an item or of a transaction) is thrown as it is. */
    static <T> T call(Supplier<T> call) {
        for (int tries = 1; ; tries++) {
            try {
                return call.get();
            } catch (ConditionalCheckFailedException verdict) {
                throw verdict;
            } catch (TransactionCanceledException cancelled) {
                if (cancelled.cancellationReasons().stream().map(CancellationReason::code).anyMatch("ConditionalCheckFailed"::equals)) {
                    throw cancelled;
                }
                backoff(tries, cancelled);
            } catch (SdkException e) {
                backoff(tries, e);
            }
        }
    }

    /** Whether the transaction was cancelled because the condition of its item at {@code index} failed. */
    static boolean conditionFailed(TransactionCanceledException cancelled, int index) {
        List<CancellationReason> reasons = cancelled.cancellationReasons();
        return reasons.size() > index && "ConditionalCheckFailed".equals(reasons.get(index).code());
    }

    /**
     * Waits before another try of a transient failure, or rethrows: a conflict, a throttle, a server
     * or network error is transient; a validation error or a missing table is not.
     */
    static void backoff(int tries, SdkException e) {
        boolean transientError = e instanceof SdkClientException || e instanceof TransactionConflictException
                || e instanceof TransactionCanceledException cancelled && cancelled.cancellationReasons().stream()
                        .map(CancellationReason::code).allMatch(DynamoRetry::isTransientReason)
                || e instanceof AwsServiceException service && (service.isThrottlingException() || service.statusCode() >= 500);
        if (!transientError || tries >= MAX_TRIES) {
            throw e;
        }
        long cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS << Math.min(tries, 10));
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw e;
        }
    }

    private static boolean isTransientReason(String code) {
        return code == null || "None".equals(code) || "TransactionConflict".equals(code) || "ThrottlingError".equals(code)
                || "ProvisionedThroughputExceeded".equals(code);
    }
}
