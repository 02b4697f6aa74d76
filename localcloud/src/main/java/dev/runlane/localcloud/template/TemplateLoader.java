package dev.runlane.localcloud.template;

import static dev.runlane.localcloud.template.ResourceTypes.FUNCTION;
import static dev.runlane.localcloud.template.ResourceTypes.HTTP_API;
import static dev.runlane.localcloud.template.ResourceTypes.LOG_GROUP;
import static dev.runlane.localcloud.template.ResourceTypes.QUEUE;
import static dev.runlane.localcloud.template.ResourceTypes.STATE_MACHINE;
import static dev.runlane.localcloud.template.ResourceTypes.TABLE;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns template.yaml (+ parameter overrides) into a {@link Stack}: Globals merged, intrinsics
 * resolved, physical names decided. Pure: it provisions nothing.
 */
public final class TemplateLoader {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> GLOBALS_SECTIONS =
            Map.of("Function", FUNCTION, "HttpApi", HTTP_API, "StateMachine", STATE_MACHINE);

    private final Path templateDir;
    private final URI edge;
    private final Map<String, Map<String, Object>> resources = new LinkedHashMap<>();
    private final Set<String> namesInProgress = new HashSet<>();
    private Intrinsics intrinsics;

    private TemplateLoader(Path templateDir, URI edge) {
        this.templateDir = templateDir;
        this.edge = edge;
    }

    /**
     * @param edge the AWS endpoint the functions talk to (queue URLs and AWS_ENDPOINT_URL point at it)
     */
    public static Stack load(Path template, Map<String, String> parameterOverrides, URI edge) {
        Map<String, Object> raw;
        try {
            raw = CfnYaml.load(template);
        } catch (IOException e) {
            throw new TemplateException("cannot read " + template + ": " + e.getMessage());
        }
        return new TemplateLoader(template.toAbsolutePath().getParent(), edge).build(raw, parameterOverrides);
    }

    /** The Parameters the template declares. */
    public static java.util.Set<String> parameterNames(Path template) {
        try {
            return map(CfnYaml.load(template).get("Parameters")).keySet();
        } catch (IOException e) {
            throw new TemplateException("cannot read " + template + ": " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private Stack build(Map<String, Object> raw, Map<String, String> overrides) {
        Object transform = raw.get("Transform");
        if (transform != null && !List.of("AWS::Serverless-2016-10-31").contains(String.valueOf(transform))) {
            throw new TemplateException("template.yaml: Transform " + transform + " is not supported locally");
        }
        Map<String, Object> parameters = Parameters.resolve(map(raw.get("Parameters")), overrides);
        Map<String, Object> conditions = map(raw.get("Conditions"));
        intrinsics = new Intrinsics(parameters, conditions, map(raw.get("Mappings")), new PhysicalResources());

        Map<String, Object> globals = map(raw.get("Globals"));
        for (String section : globals.keySet()) {
            if (!GLOBALS_SECTIONS.containsKey(section)) {
                throw new TemplateException("template.yaml: Globals." + section + " is not supported locally");
            }
        }
        map(raw.get("Resources")).forEach((logicalId, value) -> {
            Map<String, Object> resource = new LinkedHashMap<>(map(value));
            String type = String.valueOf(resource.get("Type"));
            for (String attribute : resource.keySet()) {
                if (!ResourceTypes.RESOURCE_ATTRIBUTES.contains(attribute)) {
                    throw new TemplateException("template.yaml: resource " + logicalId + ": " + attribute + " is not supported locally");
                }
            }
            if (!ResourceTypes.TYPES.containsKey(type)) {
                throw TemplateException.unsupported(logicalId, type, "this resource type is not supported by the local cloud");
            }
            if (resource.get("Condition") instanceof String condition && !intrinsics.condition(condition, logicalId + ".Condition")) {
                return;
            }
            Map<String, Object> properties = map(resource.get("Properties"));
            for (Map.Entry<String, String> section : GLOBALS_SECTIONS.entrySet()) {
                if (section.getValue().equals(type) && globals.containsKey(section.getKey())) {
                    properties = (Map<String, Object>) Globals.merge(globals.get(section.getKey()), properties);
                }
            }
            ResourceTypes.check("template.yaml: resource " + logicalId + " (" + type + ")", type, ResourceTypes.TYPES, properties);
            resource.put("Properties", properties);
            resources.put(logicalId, resource);
        });

        List<Stack.Table> tables = new ArrayList<>();
        List<Stack.Queue> queues = new ArrayList<>();
        List<Stack.StateMachine> stateMachines = new ArrayList<>();
        List<Stack.Function> functions = new ArrayList<>();
        resources.forEach((logicalId, resource) -> {
            switch (String.valueOf(resource.get("Type"))) {
                case TABLE -> tables.add(table(logicalId));
                case QUEUE -> queues.add(queue(logicalId));
                case STATE_MACHINE -> stateMachines.add(stateMachine(logicalId));
                case FUNCTION -> functions.add(function(logicalId));
                default -> { } // HttpApi: routes come from function events; log groups have no local counterpart
            }
        });
        Events events = new Events(queues);
        resources.forEach((logicalId, resource) -> {
            if (FUNCTION.equals(resource.get("Type"))) {
                events.collect(logicalId, name(logicalId), properties(logicalId).get("Events"));
            }
        });
        events.checkRoutesAreDistinct();
        return new Stack(Stack.STACK_NAME, tables, queues, stateMachines, functions, events.routes, events.sqs, events.rules,
                apiThrottle());
    }

    // ------------------------------------------------------------------ resources

    /** The HTTP API's stage throttling (DefaultRouteSettings), or null when the template sets none. */
    private Stack.ApiThrottle apiThrottle() {
        for (Map.Entry<String, Map<String, Object>> resource : resources.entrySet()) {
            if (HTTP_API.equals(resource.getValue().get("Type"))) {
                String id = resource.getKey();
                Map<String, Object> settings = map(intrinsics.resolve(properties(id).get("DefaultRouteSettings"), id + ".DefaultRouteSettings"));
                Object rate = settings.get("ThrottlingRateLimit");
                Object burst = settings.get("ThrottlingBurstLimit");
                if (rate != null || burst != null) {
                    if (rate == null || burst == null) {
                        throw new TemplateException("template.yaml: resource " + id + ": DefaultRouteSettings sets both"
                                + " ThrottlingRateLimit and ThrottlingBurstLimit, or neither, locally");
                    }
                    return new Stack.ApiThrottle(Double.parseDouble(String.valueOf(rate)), integer(burst, id + ".ThrottlingBurstLimit"));
                }
            }
        }
        return null;
    }

    private Stack.Table table(String id) {
        Map<String, Object> props = resolvedProperties(id);
        props.remove("TableName");
        return new Stack.Table(id, name(id), arn(id), props);
    }

    private Stack.Queue queue(String id) {
        Map<String, Object> props = resolvedProperties(id);
        Map<String, String> attributes = new LinkedHashMap<>();
        props.forEach((key, value) -> {
            if (key.equals("QueueName") || ResourceTypes.TYPES.get(QUEUE).ignored().contains(key)) {
                return;
            }
            attributes.put(key, value instanceof Map || value instanceof List ? toJson(value, id + "." + key) : String.valueOf(value));
        });
        if (!Boolean.parseBoolean(attributes.getOrDefault("FifoQueue", "false"))) {
            attributes.remove("FifoQueue"); // SQS refuses FifoQueue=false on CreateQueue
        }
        return new Stack.Queue(id, name(id), String.valueOf(ref(id)), arn(id), attributes);
    }

    private Stack.StateMachine stateMachine(String id) {
        Map<String, Object> props = properties(id);
        String where = "resource " + id + " (" + STATE_MACHINE + ")";
        String definition;
        if (props.containsKey("DefinitionUri")) {
            Object uri = intrinsics.resolve(props.get("DefinitionUri"), id + ".DefinitionUri");
            if (!(uri instanceof String path)) {
                throw new TemplateException("template.yaml: " + where + ": DefinitionUri must be a local file path (S3 locations are not supported locally)");
            }
            try {
                definition = Files.readString(templateDir.resolve(path));
            } catch (IOException e) {
                throw new TemplateException("template.yaml: " + where + ": cannot read DefinitionUri " + templateDir.resolve(path));
            }
        } else if (props.containsKey("Definition")) {
            definition = toJson(intrinsics.resolve(props.get("Definition"), id + ".Definition"), id);
        } else {
            throw new TemplateException("template.yaml: " + where + ": needs DefinitionUri or Definition");
        }
        Map<String, Object> substitutions = map(intrinsics.resolve(props.get("DefinitionSubstitutions"), id + ".DefinitionSubstitutions"));
        for (Map.Entry<String, Object> s : substitutions.entrySet()) {
            definition = definition.replace("${" + s.getKey() + "}", String.valueOf(s.getValue()));
        }
        try {
            JSON.readTree(definition);
        } catch (JsonProcessingException e) {
            throw new TemplateException("template.yaml: " + where + ": the definition is not valid JSON after DefinitionSubstitutions"
                    + " (a ${placeholder} without a substitution?): " + e.getOriginalMessage());
        }
        String type = String.valueOf(intrinsics.resolve(props.getOrDefault("Type", "STANDARD"), id + ".Type"));
        return new Stack.StateMachine(id, name(id), arn(id), type, definition);
    }

    private Stack.Function function(String id) {
        Map<String, Object> props = properties(id);
        String where = "template.yaml: resource " + id + " (" + FUNCTION + ")";
        String runtime = String.valueOf(intrinsics.resolve(props.get("Runtime"), id + ".Runtime"));
        if (!runtime.startsWith("java")) {
            throw new TemplateException(where + ": Runtime " + runtime + " is not supported locally (only java runtimes)");
        }
        Object codeUri = intrinsics.resolve(props.get("CodeUri"), id + ".CodeUri");
        if (!(codeUri instanceof String code)) {
            throw new TemplateException(where + ": CodeUri must be a local path (S3 locations are not supported locally)");
        }
        Object handler = intrinsics.resolve(props.get("Handler"), id + ".Handler");
        if (handler == null) {
            throw new TemplateException(where + ": Handler is missing");
        }
        Map<String, String> environment = new LinkedHashMap<>();
        Map<String, Object> variables = map(map(intrinsics.resolve(props.get("Environment"), id + ".Environment")).get("Variables"));
        variables.forEach((key, value) -> environment.put(key, String.valueOf(value)));
        environment.put("AWS_ENDPOINT_URL", edge.toString());
        environment.put("AWS_REGION", Stack.REGION);
        environment.put("AWS_DEFAULT_REGION", Stack.REGION);
        environment.put("AWS_ACCESS_KEY_ID", "local");
        environment.put("AWS_SECRET_ACCESS_KEY", "local");
        int timeout = integer(props.getOrDefault("Timeout", 3), id + ".Timeout");
        int memory = integer(props.getOrDefault("MemorySize", 128), id + ".MemorySize");
        Object reserved = intrinsics.resolve(props.get("ReservedConcurrentExecutions"), id + ".ReservedConcurrentExecutions");
        return new Stack.Function(id, name(id), arn(id), templateDir.resolve(code).normalize(), String.valueOf(handler),
                environment, timeout, memory, reserved == null || reserved == Intrinsics.NO_VALUE ? null
                        : integer(reserved, id + ".ReservedConcurrentExecutions"));
    }

    // ------------------------------------------------------------------ function events

    private final class Events {
        final List<Stack.Route> routes = new ArrayList<>();
        final List<Stack.SqsEventSource> sqs = new ArrayList<>();
        final List<Stack.StatusChangeRule> rules = new ArrayList<>();
        private final List<Stack.Queue> queues;

        Events(List<Stack.Queue> queues) {
            this.queues = queues;
        }

        void collect(String functionId, String functionName, Object events) {
            map(events).forEach((eventName, value) -> {
                Map<String, Object> event = map(value);
                String type = String.valueOf(event.get("Type"));
                String where = "template.yaml: resource " + functionId + " event " + eventName + " (" + type + ")";
                if (!ResourceTypes.EVENTS.containsKey(type)) {
                    throw new TemplateException(where + ": this event type is not supported by the local cloud");
                }
                Map<String, Object> props = map(event.get("Properties"));
                ResourceTypes.check(where, type, ResourceTypes.EVENTS, props);
                String context = functionId + ".Events." + eventName;
                switch (type) {
                    case "HttpApi" -> route(where, functionName, eventName, context, props);
                    case "SQS" -> sqs(where, functionName, eventName, context, props);
                    default -> rule(where, functionName, eventName, context, props);
                }
            });
        }

        private void route(String where, String function, String eventName, String context, Map<String, Object> props) {
            String format = String.valueOf(intrinsics.resolve(props.getOrDefault("PayloadFormatVersion", "2.0"), context));
            if (!format.equals("2.0")) {
                throw new TemplateException(where + ": PayloadFormatVersion " + format + " is not supported locally (only 2.0)");
            }
            String method = intrinsics.resolveString(props.getOrDefault("Method", "ANY"), context + ".Method").toUpperCase(Locale.ROOT);
            String path = intrinsics.resolveString(props.getOrDefault("Path", "$default"), context + ".Path");
            if (method.equals("X-AMAZON-APIGATEWAY-ANY-METHOD")) {
                method = "ANY";
            }
            routes.add(new Stack.Route(method, path, function, eventName));
        }

        private void sqs(String where, String function, String eventName, String context, Map<String, Object> props) {
            String arn = intrinsics.resolveString(props.get("Queue"), context + ".Queue");
            Stack.Queue queue = queues.stream().filter(q -> q.arn().equals(arn)).findFirst()
                    .orElseThrow(() -> new TemplateException(where + ": Queue " + arn + " is not a queue of this template"));
            int batchSize = integer(props.getOrDefault("BatchSize", 10), context + ".BatchSize");
            Object responseTypes = intrinsics.resolve(props.get("FunctionResponseTypes"), context);
            boolean reportFailures = responseTypes instanceof List<?> l && l.contains("ReportBatchItemFailures");
            boolean enabled = Boolean.parseBoolean(String.valueOf(intrinsics.resolve(props.getOrDefault("Enabled", true), context)));
            Object scaling = intrinsics.resolve(props.get("ScalingConfig"), context);
            int maximumConcurrency = scaling instanceof Map<?, ?> m && m.get("MaximumConcurrency") != null
                    ? integer(m.get("MaximumConcurrency"), context + ".ScalingConfig.MaximumConcurrency") : 0;
            sqs.add(new Stack.SqsEventSource(function, eventName, queue, batchSize, reportFailures, enabled, maximumConcurrency));
        }

        private void rule(String where, String function, String eventName, String context, Map<String, Object> props) {
            Object bus = intrinsics.resolve(props.getOrDefault("EventBusName", "default"), context);
            if (!"default".equals(bus)) {
                throw new TemplateException(where + ": EventBusName " + bus + " is not supported locally (only the default bus)");
            }
            if ("DISABLED".equals(intrinsics.resolve(props.get("State"), context))) {
                return;
            }
            Object pattern = intrinsics.resolve(props.get("Pattern"), context + ".Pattern");
            if (!(map(pattern).get("source") instanceof List<?> sources) || !sources.contains("aws.states")) {
                throw new TemplateException(where + ": the local cloud only emits Step Functions events: the Pattern must match source aws.states");
            }
            rules.add(new Stack.StatusChangeRule(function, eventName, JSON.valueToTree(pattern)));
        }

        void checkRoutesAreDistinct() {
            Set<String> keys = new HashSet<>();
            for (Stack.Route route : routes) {
                if (!keys.add(route.routeKey())) {
                    throw new TemplateException("template.yaml: route " + route.routeKey() + " is declared twice");
                }
            }
        }
    }

    // ------------------------------------------------------------------ names, Ref and GetAtt

    private final class PhysicalResources implements Intrinsics.Resources {
        @Override
        public Object ref(String logicalId, String context) {
            int dot = logicalId.indexOf('.');
            if (dot > 0 && !resources.containsKey(logicalId)) {
                return qualifiedRef(logicalId.substring(0, dot), logicalId.substring(dot + 1), context);
            }
            resource(logicalId, context);
            return TemplateLoader.this.ref(logicalId);
        }

        @Override
        public Object getAtt(String logicalId, String attribute, String context) {
            String type = type(resource(logicalId, context));
            Object value = switch (type + "." + attribute) {
                case TABLE + ".Arn", QUEUE + ".Arn", STATE_MACHINE + ".Arn", FUNCTION + ".Arn", LOG_GROUP + ".Arn" -> arn(logicalId);
                case QUEUE + ".QueueName", STATE_MACHINE + ".Name" -> name(logicalId);
                case QUEUE + ".QueueUrl" -> TemplateLoader.this.ref(logicalId);
                default -> null;
            };
            if (value == null) {
                throw new TemplateException(context + ": Fn::GetAtt " + logicalId + "." + attribute + " is not supported locally");
            }
            return value;
        }

        /** SAM's {@code !Ref Fn.Alias}: the function ARN qualified with its AutoPublishAlias. */
        private Object qualifiedRef(String logicalId, String suffix, String context) {
            Map<String, Object> resource = resource(logicalId, context);
            if (FUNCTION.equals(type(resource)) && suffix.equals("Alias")) {
                Object alias = intrinsics.resolve(properties(logicalId).get("AutoPublishAlias"), context);
                if (alias == null) {
                    throw new TemplateException(context + ": Ref " + logicalId + ".Alias needs AutoPublishAlias on " + logicalId);
                }
                return arn(logicalId) + ":" + alias;
            }
            throw new TemplateException(context + ": Ref " + logicalId + "." + suffix + " is not supported locally");
        }

        private Map<String, Object> resource(String logicalId, String context) {
            Map<String, Object> resource = resources.get(logicalId);
            if (resource == null) {
                throw new TemplateException(context + ": Ref/GetAtt of unknown resource or parameter " + logicalId);
            }
            return resource;
        }
    }

    private Object ref(String id) {
        return switch (type(resources.get(id))) {
            case QUEUE -> edge.toString().replaceAll("/$", "") + "/" + Stack.ACCOUNT_ID + "/" + name(id);
            case STATE_MACHINE -> arn(id);
            case HTTP_API -> id.toLowerCase(Locale.ROOT);
            default -> name(id);
        };
    }

    private String arn(String id) {
        String prefix = ":" + Stack.REGION + ":" + Stack.ACCOUNT_ID + ":";
        return switch (type(resources.get(id))) {
            case TABLE -> "arn:aws:dynamodb" + prefix + "table/" + name(id);
            case QUEUE -> "arn:aws:sqs" + prefix + name(id);
            case STATE_MACHINE -> "arn:aws:states" + prefix + "stateMachine:" + name(id);
            case FUNCTION -> "arn:aws:lambda" + prefix + "function:" + name(id);
            case LOG_GROUP -> "arn:aws:logs" + prefix + "log-group:" + name(id) + ":*";
            default -> throw new TemplateException("resource " + id + " has no ARN locally");
        };
    }

    /** The explicit name property if set, else a deterministic {@code runlane-LogicalId}. */
    private String name(String id) {
        String type = type(resources.get(id));
        String property = switch (type) {
            case TABLE -> "TableName";
            case QUEUE -> "QueueName";
            case STATE_MACHINE -> "Name";
            case FUNCTION -> "FunctionName";
            case LOG_GROUP -> "LogGroupName";
            default -> "Name";
        };
        Object explicit = properties(id).get(property);
        if (explicit != null) {
            if (!namesInProgress.add(id)) {
                throw new TemplateException("template.yaml: resource " + id + ": its " + property + " refers to itself");
            }
            try {
                return intrinsics.resolveString(explicit, id + "." + property);
            } finally {
                namesInProgress.remove(id);
            }
        }
        String name = Stack.STACK_NAME + "-" + id;
        boolean fifo = QUEUE.equals(type) && Boolean.parseBoolean(String.valueOf(
                intrinsics.resolve(properties(id).getOrDefault("FifoQueue", false), id + ".FifoQueue")));
        return fifo ? name + ".fifo" : name;
    }

    // ------------------------------------------------------------------ helpers

    private Map<String, Object> properties(String id) {
        return map(resources.get(id).get("Properties"));
    }

    private Map<String, Object> resolvedProperties(String id) {
        return map(intrinsics.resolve(properties(id), id + ".Properties"));
    }

    private static String type(Map<String, Object> resource) {
        return String.valueOf(resource.get("Type"));
    }

    private int integer(Object value, String context) {
        String text = intrinsics.resolveString(value, context);
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new TemplateException("template.yaml: " + context + " = " + text + ": not an integer");
        }
    }

    private static String toJson(Object value, String context) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new TemplateException(context + ": cannot write as JSON: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
