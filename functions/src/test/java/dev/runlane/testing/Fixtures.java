package dev.runlane.testing;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The JSON events of the repository's {@code events/} folder (the same files {@code sam local invoke -e}
 * takes), for tests that drive handlers with them.
 *
 * <pre>{@code
 * String runId = Fixtures.uniqueId("run");
 * JsonNode event = Fixtures.event("hosted-dispatch").withRunId(runId).withThreadId(threadId).json();
 * }</pre>
 *
 * Every single-run fixture uses {@link #RUN_ID} on {@link #THREAD_ID}; the SQS batch also has the other
 * ids below. Replacing an id rewrites it everywhere (paths, bodies, ARNs, execution names) and keeps
 * derived fields true: an SQS record's {@code md5OfBody}, an API request's {@code content-length}.
 */
public final class Fixtures {
    /** The repository's events/ folder: the module runs its tests from functions/. */
    public static final Path EVENTS = Path.of("..", "events").toAbsolutePath().normalize();

    public static final String RUN_ID = "run-01JDQ8Z6X4R2M7Y9K3T5V8W1AB";
    public static final String THREAD_ID = "thread-a";
    public static final String DAEMON_ID = "daemon-laptop-01";
    /** The daemon fixtures' bearer credential, to replace with a registered daemon's. */
    public static final String CREDENTIAL = "rld.daemon-laptop-01.credential-placeholder";
    /** sqs-thread-batch.json: thread-a has RUN_ID then THREAD_A_SECOND_RUN; thread-b has two runs. */
    public static final String THREAD_A_SECOND_RUN = "run-01JDQ8Z8N3P5Q7R9S1T3V5W7XY";
    public static final String THREAD_B = "thread-b";
    public static final String THREAD_B_FIRST_RUN = "run-01JDQ8Z7B2C4D6E8F0G2H4J6KM";
    public static final String THREAD_B_SECOND_RUN = "run-01JDQ8Z9A1B3C5D7E9F1G3H5JK";
    /** sqs-thread-batch.json's 5th record, whose body is not JSON, is on this group. */
    public static final String MALFORMED_GROUP = "thread-c";

    static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    /** The fixture events/{name}.json, e.g. {@code event("api-start-run")}. */
    public static Event event(String name) {
        Path file = EVENTS.resolve(name.endsWith(".json") ? name : name + ".json");
        try {
            return new Event(name, Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("no fixture " + file, e);
        }
    }

    public static String string(String name) {
        return event(name).string();
    }

    public static JsonNode json(String name) {
        return event(name).json();
    }

    /** The names of all fixtures (without .json), sorted. */
    public static List<String> names() {
        try (Stream<Path> files = Files.list(EVENTS)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - ".json".length()))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An HTTP API request (payload 2.0) with these fields, e.g. a fixture's with another body. */
    public static APIGatewayV2HTTPEvent httpRequest(String routeKey, Map<String, String> headers,
                                                    Map<String, String> queryStringParameters,
                                                    Map<String, String> pathParameters, String body, boolean isBase64Encoded,
                                                    APIGatewayV2HTTPEvent.RequestContext requestContext) {
        return APIGatewayV2HTTPEvent.builder().withRouteKey(routeKey).withHeaders(headers)
                .withQueryStringParameters(queryStringParameters).withPathParameters(pathParameters).withBody(body)
                .withIsBase64Encoded(isBase64Encoded).withRequestContext(requestContext).build();
    }

    /** A fresh id valid for runs, threads and daemons ([A-Za-z0-9][A-Za-z0-9_-]{0,63}), e.g. "run-3f9c…". */
    public static String uniqueId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().replace("-", "");
    }

    /** One fixture's text, with ids replaced. Immutable: each {@code with…} returns a new Event. */
    public record Event(String name, String text) {

        public Event withRunId(String runId) {
            return replace(RUN_ID, runId);
        }

        public Event withThreadId(String threadId) {
            return replace(THREAD_ID, threadId);
        }

        /** Like {@link #replace}, for an id that not every fixture has (a run id in a daemon's request, say). */
        public Event replaceIfPresent(String placeholderId, String id) {
            return text.contains(placeholderId) ? replace(placeholderId, id) : this;
        }

        public Event withDaemonId(String daemonId) {
            return replace(DAEMON_ID, daemonId);
        }

        /** Replaces a whole id (not a part of a longer id) everywhere in the fixture. */
        public Event replace(String placeholderId, String id) {
            Pattern whole = Pattern.compile("(?<![A-Za-z0-9_-])" + Pattern.quote(placeholderId) + "(?![A-Za-z0-9_-])");
            String replaced = whole.matcher(text).replaceAll(Matcher.quoteReplacement(id));
            if (replaced.equals(text) && !placeholderId.equals(id)) {
                throw new IllegalArgumentException("fixture " + name + " has no id " + placeholderId);
            }
            return new Event(name, replaced);
        }

        public String string() {
            return text;
        }

        /** The event as JSON, with md5OfBody and content-length recomputed for the (replaced) bodies. */
        public JsonNode json() {
            JsonNode root = parse();
            for (JsonNode record : root.path("Records")) {
                if (record.has("md5OfBody")) {
                    ((ObjectNode) record).put("md5OfBody", md5Hex(record.path("body").asText()));
                }
            }
            if (root.path("body").isTextual() && root.path("headers").has("content-length")) {
                ((ObjectNode) root.path("headers")).put("content-length",
                        String.valueOf(root.path("body").asText().getBytes(StandardCharsets.UTF_8).length));
            }
            return root;
        }

        /** {@link #json()} as text: what a handler's input stream would carry. */
        public String jsonString() {
            return json().toString();
        }

        /**
         * The event bound to a type (the handler's input: SQSEvent, APIGatewayV2HTTPEvent, ...) as the
         * Quarkus Lambda runtime binds it ({@link LambdaMapper}).
         */
        public <T> T as(Class<T> type) {
            try {
                return LambdaMapper.MAPPER.treeToValue(json(), type);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("fixture " + name + " does not bind to " + type.getName(), e);
            }
        }

        private JsonNode parse() {
            try {
                return JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("fixture " + name + " is not JSON: " + e.getOriginalMessage(), e);
            }
        }
    }

    static String md5Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
