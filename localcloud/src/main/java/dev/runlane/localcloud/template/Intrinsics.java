package dev.runlane.localcloud.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Evaluates CloudFormation intrinsic functions against parameters, pseudo parameters and resources. */
final class Intrinsics {
    /** AWS::NoValue: the enclosing key or list item disappears. */
    static final Object NO_VALUE = new Object();
    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}]*)}");

    /** What Ref and GetAtt of a resource yield. */
    interface Resources {
        Object ref(String logicalId, String context);

        Object getAtt(String logicalId, String attribute, String context);
    }

    private final Map<String, Object> parameters;
    private final Map<String, Object> conditions;
    private final Map<String, Object> mappings;
    private final Resources resources;

    Intrinsics(Map<String, Object> parameters, Map<String, Object> conditions, Map<String, Object> mappings, Resources resources) {
        this.parameters = parameters;
        this.conditions = conditions;
        this.mappings = mappings;
        this.resources = resources;
    }

    static Map<String, Object> pseudoParameters() {
        return Map.of(
                "AWS::Region", Stack.REGION,
                "AWS::AccountId", Stack.ACCOUNT_ID,
                "AWS::StackName", Stack.STACK_NAME,
                "AWS::StackId", "arn:aws:cloudformation:" + Stack.REGION + ":" + Stack.ACCOUNT_ID + ":stack/" + Stack.STACK_NAME + "/local",
                "AWS::Partition", "aws",
                "AWS::URLSuffix", "amazonaws.com",
                "AWS::NotificationARNs", List.of());
    }

    /** Resolves {@code value}; {@code context} names where it sits, for error messages. */
    @SuppressWarnings("unchecked")
    Object resolve(Object value, String context) {
        if (value instanceof Map<?, ?> map) {
            if (map.size() == 1) {
                String key = String.valueOf(map.keySet().iterator().next());
                if (key.equals("Ref") || key.startsWith("Fn::") || key.equals("Condition") && !(map.get(key) instanceof Map)) {
                    if (key.equals("Condition")) {
                        return condition(String.valueOf(map.get(key)), context);
                    }
                    return function(key, map.get(key), context);
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : ((Map<String, Object>) map).entrySet()) {
                Object resolved = resolve(e.getValue(), context + "." + e.getKey());
                if (resolved != NO_VALUE) {
                    out.put(e.getKey(), resolved);
                }
            }
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                Object resolved = resolve(list.get(i), context + "[" + i + "]");
                if (resolved != NO_VALUE) {
                    out.add(resolved);
                }
            }
            return out;
        }
        return value;
    }

    String resolveString(Object value, String context) {
        Object resolved = resolve(value, context);
        if (resolved instanceof Map || resolved instanceof List || resolved == null || resolved == NO_VALUE) {
            throw new TemplateException(context + ": expected a string, got " + resolved);
        }
        return String.valueOf(resolved);
    }

    private Object function(String name, Object arg, String context) {
        return switch (name) {
            case "Ref" -> ref(resolveString(arg, context), context);
            case "Fn::GetAtt" -> getAtt(arg, context);
            case "Fn::Sub" -> sub(arg, context);
            case "Fn::Join" -> {
                List<?> args = list(arg, 2, name, context);
                String delimiter = resolveString(args.get(0), context);
                List<String> parts = new ArrayList<>();
                for (Object part : list(resolve(args.get(1), context), -1, name, context)) {
                    parts.add(String.valueOf(part));
                }
                yield String.join(delimiter, parts);
            }
            case "Fn::Select" -> {
                List<?> args = list(arg, 2, name, context);
                int index = Integer.parseInt(resolveString(args.get(0), context));
                yield list(resolve(args.get(1), context), -1, name, context).get(index);
            }
            case "Fn::Split" -> {
                List<?> args = list(arg, 2, name, context);
                yield List.of(resolveString(args.get(1), context).split(Pattern.quote(resolveString(args.get(0), context)), -1));
            }
            case "Fn::If" -> {
                List<?> args = list(arg, 3, name, context);
                yield resolve(condition(String.valueOf(args.get(0)), context) ? args.get(1) : args.get(2), context);
            }
            case "Fn::Equals" -> {
                List<?> args = list(arg, 2, name, context);
                yield String.valueOf(resolve(args.get(0), context)).equals(String.valueOf(resolve(args.get(1), context)));
            }
            case "Fn::Not" -> !truth(list(arg, 1, name, context).get(0), context);
            case "Fn::And" -> list(arg, -1, name, context).stream().allMatch(c -> truth(c, context));
            case "Fn::Or" -> list(arg, -1, name, context).stream().anyMatch(c -> truth(c, context));
            case "Fn::FindInMap" -> findInMap(list(arg, 3, name, context), context);
            case "Fn::Base64" -> java.util.Base64.getEncoder().encodeToString(resolveString(arg, context).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            default -> throw new TemplateException(context + ": intrinsic function " + name + " is not supported locally");
        };
    }

    private boolean truth(Object value, String context) {
        return Boolean.parseBoolean(String.valueOf(resolve(value, context)));
    }

    boolean condition(String name, String context) {
        if (!conditions.containsKey(name)) {
            throw new TemplateException(context + ": unknown condition " + name);
        }
        return truth(conditions.get(name), "Conditions." + name);
    }

    private Object findInMap(List<?> args, String context) {
        Object map = mappings.get(resolveString(args.get(0), context));
        for (int i = 1; i < 3 && map instanceof Map<?, ?> m; i++) {
            map = m.get(resolveString(args.get(i), context));
        }
        if (map == null) {
            throw new TemplateException(context + ": Fn::FindInMap " + args + " finds nothing");
        }
        return map;
    }

    private Object ref(String name, String context) {
        if (name.equals("AWS::NoValue")) {
            return NO_VALUE;
        }
        if (parameters.containsKey(name)) {
            return parameters.get(name);
        }
        if (pseudoParameters().containsKey(name)) {
            return pseudoParameters().get(name);
        }
        return resources.ref(name, context);
    }

    private Object getAtt(Object arg, String context) {
        Object resolved = resolve(arg, context);
        List<?> parts = resolved instanceof String s ? List.of(s.split("\\.", 2)) : list(resolved, 2, "Fn::GetAtt", context);
        if (parts.size() != 2) {
            throw new TemplateException(context + ": Fn::GetAtt needs Resource.Attribute, got " + arg);
        }
        return resources.getAtt(String.valueOf(parts.get(0)), String.valueOf(parts.get(1)), context);
    }

    private String sub(Object arg, String context) {
        String text;
        Map<?, ?> variables = Map.of();
        if (arg instanceof List<?> list) {
            text = resolveString(list.get(0), context);
            variables = list.size() > 1 ? (Map<?, ?>) resolve(list.get(1), context) : Map.of();
        } else {
            text = resolveString(arg, context);
        }
        Matcher m = SUB_VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String variable = m.group(1);
            String replacement;
            if (variable.startsWith("!")) {
                replacement = "${" + variable.substring(1) + "}";
            } else if (variables.containsKey(variable)) {
                replacement = String.valueOf(variables.get(variable));
            } else if (variable.contains(".")) {
                String[] parts = variable.split("\\.", 2);
                replacement = String.valueOf(resources.getAtt(parts[0], parts[1], context));
            } else {
                replacement = String.valueOf(ref(variable, context));
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static List<?> list(Object arg, int size, String function, String context) {
        if (!(arg instanceof List<?> list) || size >= 0 && list.size() != size) {
            throw new TemplateException(context + ": " + function + " expects a list" + (size >= 0 ? " of " + size : "") + ", got " + arg);
        }
        return list;
    }
}
