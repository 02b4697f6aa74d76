package dev.runlane.localcloud.edge;

import com.sun.net.httpserver.HttpExchange;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which AWS action a forwarded request calls: from X-Amz-Target in the JSON protocols, from Action= (body or query
 * string) in the query protocol. The service is the one the request is signed for, else the target's prefix.
 *
 * @param query       whether it came in the query protocol, so that its error must be XML
 * @param accessKeyId the key it is signed with (a sandbox's names the sandbox); null if unsigned
 */
record AwsRequest(String service, String action, boolean query, byte[] body, String accessKeyId) {
    private static final Map<String, String> TARGET_PREFIXES = Map.of(
            "dynamodb_20120810", "dynamodb", "awsstepfunctions", "states", "amazonsqs", "sqs");
    /** SigV4: {@code Credential=AKID/20250101/us-east-1/sqs/aws4_request}. */
    private static final Pattern SCOPE = Pattern.compile("Credential=([^/,]+)/[^/]+/[^/]+/([^/]+)/aws4_request");

    /** e.g. {@code dynamodb:TransactWriteItems}, as faults name actions */
    String name() {
        return service + ":" + action;
    }

    static Optional<AwsRequest> of(HttpExchange exchange, byte[] body) {
        var headers = exchange.getRequestHeaders();
        Matcher scope = SCOPE.matcher(Objects.requireNonNullElse(headers.getFirst("Authorization"), ""));
        String signedFor = scope.find() ? scope.group(2).toLowerCase(Locale.ROOT) : null;
        String accessKeyId = signedFor != null ? scope.group(1) : null;
        String target = headers.getFirst("X-Amz-Target");
        if (target != null && target.indexOf('.') > 0) {
            String prefix = target.substring(0, target.indexOf('.'));
            String service = signedFor != null ? signedFor : TARGET_PREFIXES.get(prefix.toLowerCase(Locale.ROOT));
            return Optional.ofNullable(service).map(s -> new AwsRequest(s, target.substring(prefix.length() + 1), false, body, accessKeyId));
        }
        String action = FormParameter.of(exchange.getRequestURI().getRawQuery(), "Action");
        String contentType = headers.getFirst("Content-Type");
        if (action == null && contentType != null && contentType.startsWith("application/x-www-form-urlencoded")) {
            action = FormParameter.of(new String(body, StandardCharsets.UTF_8), "Action");
        }
        return action == null || signedFor == null ? Optional.empty()
                : Optional.of(new AwsRequest(signedFor, action, true, body, accessKeyId));
    }
}
