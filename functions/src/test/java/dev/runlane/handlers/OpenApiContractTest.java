package dev.runlane.handlers;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.localcloud.template.Stack;
import dev.runlane.localcloud.template.TemplateLoader;
import dev.runlane.testing.Fixtures;
import dev.runlane.testing.TestContext;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import jakarta.inject.Named;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * openapi.yaml is the HTTP API's contract: it is valid OpenAPI 3, and it has exactly template.yaml's
 * HttpApi routes, with the same authorization, and exactly the handlers' route tables. A route added,
 * renamed or dropped on one side only fails here, naming it.
 */
class OpenApiContractTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path OPENAPI = ROOT.resolve("openapi.yaml");
    private static final Path TEMPLATE = ROOT.resolve("template.yaml");
    /** The OpenAPI security scheme each template authorizer stands for. */
    private static final Map<String, String> SCHEME_OF_AUTHORIZER = Map.of("AWS_IAM", "sigv4", "NONE", "daemonCredential");
    /** Each function's route table, by the QUARKUS_LAMBDA_HANDLER name the template gives the function. */
    private static final Map<String, Set<String>> HANDLER_ROUTES = Map.of(
            named(ApiHandler.class), ApiHandler.ROUTES.keySet(),
            named(DaemonApiHandler.class), DaemonApiHandler.ROUTES.keySet());

    private static final SwaggerParseResult PARSED = parse();
    /** The template as the local cloud serves it: Globals merged, intrinsics resolved. */
    private static final Stack STACK = TemplateLoader.load(TEMPLATE, Map.of(), URI.create("http://127.0.0.1:4566"));

    @Test
    void theDocumentIsValidOpenApi3() {
        assertTrue(PARSED.getMessages() == null || PARSED.getMessages().isEmpty(),
                () -> OPENAPI + " is not valid OpenAPI:\n  " + String.join("\n  ", PARSED.getMessages()));
        assertTrue(openApi().getOpenapi().startsWith("3.0."),
                "OpenAPI 3.0, the version API Gateway imports: " + openApi().getOpenapi());
    }

    @Test
    void theDocumentHasExactlyTheTemplatesRoutes() {
        assertSameRoutes("template.yaml", templateRoutes().keySet(), "openapi.yaml", operations().keySet());
    }

    @Test
    void everyFunctionsRouteTableHasExactlyItsTemplateRoutes() {
        Map<String, Set<String>> templateByHandler = new TreeMap<>();
        templateRoutes().forEach((routeKey, route) -> templateByHandler
                .computeIfAbsent(handlerOf(route.functionName()), h -> new TreeSet<>()).add(routeKey));
        assertEquals(HANDLER_ROUTES.keySet(), templateByHandler.keySet(),
                "the handlers with a route table are the template's functions with HttpApi routes");
        templateByHandler.forEach((handler, routes) -> assertSameRoutes(
                "template.yaml (function with handler " + handler + ")", routes,
                "the route table of handler " + handler, HANDLER_ROUTES.get(handler)));
    }

    @Test
    void theRouteTablesHaveExactlyTheDocumentsOperations() {
        Set<String> tables = HANDLER_ROUTES.values().stream().flatMap(Set::stream).collect(Collectors.toSet());
        assertSameRoutes("the handlers' route tables", tables, "openapi.yaml", operations().keySet());
    }

    /** Authorizer NONE (the function checks a daemon's credential) ↔ bearer; the API's default (IAM) ↔ SigV4. */
    @Test
    void everyRouteHasTheTemplatesAuthorization() throws IOException {
        Map<String, Object> raw = rawTemplate();
        List<String> wrong = new ArrayList<>();
        bothSides((routeKey, route, operation) -> {
            String authorizer = authorizer(raw, route);
            List<String> expected = List.of(SCHEME_OF_AUTHORIZER.getOrDefault(authorizer, "?"));
            if (!expected.equals(schemes(operation))) {
                wrong.add(routeKey + ": template.yaml authorizer " + authorizer + " is security " + expected
                        + ", openapi.yaml has " + schemes(operation));
            }
        });
        assertTrue(wrong.isEmpty(), () -> "security differs:\n  " + String.join("\n  ", wrong));

        Map<String, SecurityScheme> schemes = openApi().getComponents().getSecuritySchemes();
        assertEquals("awsSigv4", schemes.get("sigv4").getExtensions().get("x-amazon-apigateway-authtype"));
        assertEquals(SecurityScheme.Type.HTTP, schemes.get("daemonCredential").getType());
        assertEquals("bearer", schemes.get("daemonCredential").getScheme());
    }

    /** The operationId names the route in both documents: the template's event is its capitalized form. */
    @Test
    void everyOperationIdIsItsTemplateEventName() {
        List<String> wrong = new ArrayList<>();
        bothSides((routeKey, route, operation) -> {
            String id = String.valueOf(operation.getOperationId());
            if (!(Character.toUpperCase(id.charAt(0)) + id.substring(1)).equals(route.eventName())) {
                wrong.add(routeKey + ": template.yaml event " + route.eventName() + ", openapi.yaml operationId " + id);
            }
        });
        assertTrue(wrong.isEmpty(), () -> "operationIds differ from event names:\n  " + String.join("\n  ", wrong));
    }

    @Test
    void anUnknownRouteIsStillRouteNotFound() throws IOException {
        TestContext context = TestContext.of("api", Duration.ofSeconds(10));
        for (APIGatewayV2HTTPResponse answer : List.of(
                new ApiHandler().handleRequest(request("GET /nowhere"), context),
                new DaemonApiHandler().handleRequest(request("POST /daemons/{daemonId}"), context))) {
            assertEquals(404, answer.getStatusCode());
            assertEquals("RouteNotFound", new ObjectMapper().readTree(answer.getBody()).at("/error/code").asText());
        }
    }

    // ------------------------------------------------------------------ the two sides

    /** The document's operations by route key ("POST /threads/{threadId}/runs"), as API Gateway names routes. */
    private static Map<String, Operation> operations() {
        Map<String, Operation> operations = new TreeMap<>();
        openApi().getPaths().forEach((path, item) -> item.readOperationsMap()
                .forEach((method, operation) -> operations.put(method.name() + " " + path, operation)));
        return operations;
    }

    private interface RouteCheck {
        void check(String routeKey, Stack.Route route, Operation operation);
    }

    /** Each route on both sides (one on a single side fails theDocumentHasExactlyTheTemplatesRoutes). */
    private static void bothSides(RouteCheck check) {
        Map<String, Operation> operations = operations();
        templateRoutes().forEach((routeKey, route) -> {
            if (operations.containsKey(routeKey)) {
                check.check(routeKey, route, operations.get(routeKey));
            }
        });
    }

    private static Map<String, Stack.Route> templateRoutes() {
        return STACK.routes().stream().collect(Collectors.toMap(Stack.Route::routeKey, Function.identity(), (a, b) -> a, TreeMap::new));
    }

    private static String handlerOf(String functionName) {
        return STACK.functions().stream().filter(f -> f.name().equals(functionName)).findFirst()
                .map(f -> f.environment().get("QUARKUS_LAMBDA_HANDLER")).orElseThrow();
    }

    /** An event's own Auth.Authorizer, else the default of the HttpApi it is on. */
    private static String authorizer(Map<String, Object> raw, Stack.Route route) {
        Map<String, Object> resources = map(raw.get("Resources"));
        Map<String, Object> event = map(map(map(map(resources.get(logicalIdOf(route.functionName()))).get("Properties"))
                .get("Events")).get(route.eventName()));
        Map<String, Object> properties = map(event.get("Properties"));
        Object own = map(properties.get("Auth")).get("Authorizer");
        if (own != null) {
            return String.valueOf(own);
        }
        Map<String, Object> api = map(map(resources.get(String.valueOf(properties.get("ApiId")))).get("Properties"));
        return String.valueOf(map(api.get("Auth")).getOrDefault("DefaultAuthorizer", "NONE"));
    }

    private static String logicalIdOf(String functionName) {
        return STACK.functions().stream().filter(f -> f.name().equals(functionName)).findFirst().orElseThrow().logicalId();
    }

    private static List<String> schemes(Operation operation) {
        List<SecurityRequirement> security = operation.getSecurity() != null ? operation.getSecurity()
                : openApi().getSecurity();
        return security == null ? List.of() : security.stream().flatMap(r -> r.keySet().stream()).sorted().toList();
    }

    private static void assertSameRoutes(String oneName, Set<String> one, String otherName, Set<String> other) {
        Set<String> onlyInOne = new TreeSet<>(one);
        onlyInOne.removeAll(other);
        Set<String> onlyInOther = new TreeSet<>(other);
        onlyInOther.removeAll(one);
        if (!onlyInOne.isEmpty() || !onlyInOther.isEmpty()) {
            fail("routes differ:\n  in " + oneName + " but not in " + otherName + ": " + onlyInOne
                    + "\n  in " + otherName + " but not in " + oneName + ": " + onlyInOther);
        }
    }

    // ------------------------------------------------------------------ reading

    private static OpenAPI openApi() {
        assertNotNull(PARSED.getOpenAPI(), () -> OPENAPI + " could not be read: " + PARSED.getMessages());
        return PARSED.getOpenAPI();
    }

    private static SwaggerParseResult parse() {
        ParseOptions options = new ParseOptions();
        options.setValidateInternalRefs(true);
        return new OpenAPIV3Parser().readLocation(OPENAPI.toUri().toString(), null, options);
    }

    /**
     * template.yaml as plain maps, for what the resolved {@link Stack} leaves out (Auth). A CloudFormation
     * tag is dropped and its value kept ({@code !Ref RunApi} reads as "RunApi"): the localcloud's own
     * loader does this properly, but only the literal Auth settings and ApiId are read here.
     */
    private static Map<String, Object> rawTemplate() throws IOException {
        SafeConstructor tolerant = new SafeConstructor(new LoaderOptions()) {
            {
                yamlMultiConstructors.put("!", new AbstractConstruct() {
                    @Override
                    public Object construct(Node node) {
                        return switch (node) {
                            case ScalarNode scalar -> constructScalar(scalar);
                            case SequenceNode sequence -> constructSequence(sequence);
                            case MappingNode mapping -> constructMapping(mapping);
                            default -> null;
                        };
                    }
                });
            }
        };
        return map(new Yaml(tolerant).load(Files.readString(TEMPLATE)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static String named(Class<?> handler) {
        return handler.getAnnotation(Named.class).value();
    }

    private static APIGatewayV2HTTPEvent request(String routeKey) {
        return Fixtures.httpRequest(routeKey, Map.of(), null, Map.of(), null, false, null);
    }
}
