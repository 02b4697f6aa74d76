package dev.runlane.localcloud.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.runlane.localcloud.faults.ArmedFault;
import dev.runlane.localcloud.faults.FaultJson;
import dev.runlane.localcloud.faults.Faults;
import dev.runlane.localcloud.faults.InvalidFaultException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fault injection admin API: {@code POST /_runlane/faults} (a fault, an array, or {"faults": [...]}) arms faults
 * and answers 201 with them; {@code GET} lists the faults armed since the last clear (used-up ones with remaining 0)
 * and the fired totals per kind; {@code DELETE} clears everything, {@code DELETE /_runlane/faults/{id}} one fault.
 * Errors are 4xx with {"message": "..."}.
 */
final class FaultsApi {
    private static final Pattern PATH = Pattern.compile("/_runlane/faults(?:/([^/]+))?/?");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Faults faults;

    FaultsApi(Faults faults) {
        this.faults = faults;
    }

    boolean handles(HttpExchange exchange, String rawPath) throws IOException {
        if (!rawPath.startsWith("/_runlane/")) {
            return false;
        }
        Matcher matcher = PATH.matcher(rawPath);
        String id = matcher.matches() ? matcher.group(1) : null;
        String method = exchange.getRequestMethod();
        if (!matcher.matches()) {
            error(exchange, 404, "no such admin resource " + rawPath + ": fault injection is at /_runlane/faults");
        } else if (id != null) {
            if (!method.equals("DELETE")) {
                error(exchange, 405, method + " " + rawPath + " is not supported: a single fault can only be deleted");
            } else if (faults.remove(id)) {
                Responses.send(exchange, 204, new byte[0]);
            } else {
                error(exchange, 404, "no fault " + id + " (deleted, cleared, or never added)");
            }
        } else {
            switch (method) {
                case "POST" -> add(exchange);
                case "GET" -> Responses.sendJson(exchange, 200, listing(faults.armed()).set("fired", fired()));
                case "DELETE" -> {
                    faults.clear();
                    Responses.send(exchange, 204, new byte[0]);
                }
                default -> error(exchange, 405, method + " /_runlane/faults is not supported: use GET, POST or DELETE");
            }
        }
        return true;
    }

    private void add(HttpExchange exchange) throws IOException {
        List<ArmedFault> added;
        try {
            added = faults.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        } catch (InvalidFaultException e) {
            error(exchange, 400, e.getMessage());
            return;
        }
        Responses.sendJson(exchange, 201, listing(added));
    }

    private static ObjectNode listing(List<ArmedFault> list) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode array = body.putArray("faults");
        list.forEach(f -> array.add(FaultJson.render(f)));
        return body;
    }

    private ObjectNode fired() {
        ObjectNode totals = JSON.createObjectNode();
        faults.firedByKind().forEach((kind, count) -> totals.put(kind.jsonName(), count));
        return totals;
    }

    private static void error(HttpExchange exchange, int status, String message) {
        Responses.sendJson(exchange, status, Map.of("message", message));
    }
}
