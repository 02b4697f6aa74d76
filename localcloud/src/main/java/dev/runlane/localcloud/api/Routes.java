package dev.runlane.localcloud.api;

import dev.runlane.localcloud.template.Stack;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** HTTP API route selection: the most specific match wins, as API Gateway picks it. */
public final class Routes {
    public record Match(Stack.Route route, Map<String, String> pathParameters) {}

    private record Candidate(Stack.Route route, String[] segments, int variables, boolean greedy) {}

    private final List<Candidate> candidates;

    public Routes(List<Stack.Route> routes) {
        this.candidates = routes.stream().map(Routes::candidate)
                // exact segments beat variables, variables beat greedy, a method beats ANY, $default comes last
                .sorted(Comparator.<Candidate, Boolean>comparing(c -> c.route().path().equals("$default"))
                        .thenComparing(Candidate::greedy)
                        .thenComparingInt(Candidate::variables)
                        .thenComparing(c -> c.route().method().equals("ANY")))
                .toList();
    }

    private static Candidate candidate(Stack.Route route) {
        String[] segments = segments(route.path());
        int variables = 0;
        boolean greedy = false;
        for (String segment : segments) {
            if (segment.startsWith("{")) {
                variables++;
                greedy |= segment.endsWith("+}");
            }
        }
        return new Candidate(route, segments, variables, greedy);
    }

    /**
     * The route for a raw (still percent-encoded) path.
     *
     * @throws MalformedRequest when a path parameter's escapes are malformed or not UTF-8 (the client's error)
     */
    public Optional<Match> match(String method, String rawPath) {
        String[] actual = segments(rawPath);
        for (Candidate candidate : candidates) {
            String routeMethod = candidate.route().method();
            if (!routeMethod.equals("ANY") && !routeMethod.equals(method)) {
                continue;
            }
            if (candidate.route().path().equals("$default")) {
                return Optional.of(new Match(candidate.route(), Map.of()));
            }
            Map<String, String> parameters = bind(candidate.segments(), actual);
            if (parameters != null) {
                return Optional.of(new Match(candidate.route(), parameters));
            }
        }
        return Optional.empty();
    }

    /** Path parameters if the path fits the template, else null. */
    private static Map<String, String> bind(String[] template, String[] actual) {
        Map<String, String> parameters = new LinkedHashMap<>();
        for (int i = 0; i < template.length; i++) {
            String segment = template[i];
            if (segment.startsWith("{") && segment.endsWith("+}")) {
                if (i >= actual.length) {
                    return null;
                }
                parameters.put(segment.substring(1, segment.length() - 2), decode(String.join("/", List.of(actual).subList(i, actual.length))));
                return parameters;
            }
            if (i >= actual.length) {
                return null;
            }
            if (segment.startsWith("{") && segment.endsWith("}")) {
                if (actual[i].isEmpty()) {
                    return null;
                }
                parameters.put(segment.substring(1, segment.length() - 1), decode(actual[i]));
            } else if (!segment.equals(actual[i])) {
                return null;
            }
        }
        return template.length == actual.length ? parameters : null;
    }

    private static String[] segments(String path) {
        String trimmed = path.startsWith("/") ? path.substring(1) : path;
        if (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        return trimmed.isEmpty() ? new String[0] : trimmed.split("/", -1);
    }

    /** A '+' in a path is a plus, not a space; a bad escape throws {@link MalformedRequest}. */
    private static String decode(String value) {
        return RequestTarget.decode(value, false);
    }
}
