package dev.runlane.e2e;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * Signs the API's requests for a deployed stack, whose HTTP API is IAM-authorized: SigV4 with the
 * AWS SDK for Java v2's own signer ({@link AwsV4HttpSigner}, service {@value #SERVICE}), never a
 * hand-written one. This class only translates a {@link HttpRequest} into the SDK's request and
 * back: the canonical request, the payload hash and the signature are all the signer's.
 */
public final class SigV4 {
    /** The signing name of API Gateway's execute-api endpoints. */
    public static final String SERVICE = "execute-api";

    /**
     * Headers java.net.http refuses to set: the signer adds {@code Host}, and the client sends the same
     * value itself (host, and :port when not the scheme's default, as the SDK computes it).
     */
    private static final Set<String> SET_BY_THE_CLIENT = Set.of("host", "content-length", "connection", "expect", "upgrade");

    private static final Pattern EXECUTE_API_HOST = Pattern.compile("^[^.]+\\.execute-api\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?$");

    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final AwsCredentialsProvider credentials;
    private final String region;
    private final Clock clock;

    public SigV4(AwsCredentialsProvider credentials, String region) {
        this(credentials, region, Clock.systemUTC());
    }

    /** With a fixed clock, for tests that sign the same request twice. */
    SigV4(AwsCredentialsProvider credentials, String region, Clock clock) {
        this.credentials = credentials;
        this.region = region;
        this.clock = clock;
    }

    public String region() {
        return region;
    }

    /**
     * The request, signed: the same method, URI, body, timeout and headers, plus those the signer adds
     * ({@code Authorization}, {@code X-Amz-Date}, {@code X-Amz-Security-Token} with session credentials).
     * The body is read once to be hashed and sent again from the same publisher (java.net.http's
     * publishers can be subscribed to again, as the client does on a redirect or retry).
     */
    public HttpRequest sign(HttpRequest request) {
        byte[] body = body(request);
        SdkHttpRequest.Builder unsigned = SdkHttpRequest.builder()
                .uri(request.uri())
                .method(SdkHttpMethod.fromValue(request.method()));
        request.headers().map().forEach((name, values) -> values.forEach(value -> unsigned.appendHeader(name, value)));
        SignedRequest signed = signer.sign(r -> r.identity(credentials.resolveCredentials())
                .request(unsigned.build())
                .payload(ContentStreamProvider.fromByteArray(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, SERVICE)
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, clock));

        // The same request (method, body publisher, timeout, version, headers) plus the headers the signer added.
        HttpRequest.Builder out = HttpRequest.newBuilder(request, (name, value) -> true);
        signed.request().forEachHeader((name, values) -> {
            if (!SET_BY_THE_CLIENT.contains(name.toLowerCase(Locale.ROOT)) && request.headers().allValues(name).isEmpty()) {
                values.forEach(value -> out.header(name, value));
            }
        });
        return out.build();
    }

    /**
     * The signing region for an API URL: {@code AWS_REGION} (the SDK's variable), else the region in an
     * execute-api host name ({@code <id>.execute-api.<region>.amazonaws.com}), else us-east-1 (a local
     * cloud's). The stack's AWS clients use the same region.
     */
    static String region(URI apiUrl) {
        String value = System.getenv("AWS_REGION");
        if (value != null && !value.isBlank()) {
            return value.trim();
        }
        Matcher host = EXECUTE_API_HOST.matcher(Optional.ofNullable(apiUrl.getHost()).orElse("").toLowerCase(Locale.ROOT));
        return host.matches() ? host.group(1) : "us-east-1";
    }

    /** The request's body, read from its publisher (empty when it has none). */
    static byte[] body(HttpRequest request) {
        Optional<HttpRequest.BodyPublisher> publisher = request.bodyPublisher();
        if (publisher.isEmpty() || publisher.get().contentLength() == 0) {
            return new byte[0];
        }
        CompletableFuture<byte[]> read = new CompletableFuture<>();
        publisher.get().subscribe(new Flow.Subscriber<ByteBuffer>() {
            private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer item) {
                byte[] chunk = new byte[item.remaining()];
                item.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }

            @Override
            public void onError(Throwable error) {
                read.completeExceptionally(error);
            }

            @Override
            public void onComplete() {
                read.complete(bytes.toByteArray());
            }
        });
        try {
            return read.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not read the body of " + request.method() + " " + request.uri() + " to sign it", e);
        }
    }
}
