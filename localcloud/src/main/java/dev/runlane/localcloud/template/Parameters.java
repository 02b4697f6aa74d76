package dev.runlane.localcloud.template;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Template Parameters: defaults, overrides as {@code sam --parameter-overrides} takes them, and their constraints. */
public final class Parameters {
    private static final Pattern SAM_LONG_FORM = Pattern.compile("ParameterKey=([^,]+),ParameterValue=(.*)");

    private Parameters() {}

    /**
     * Parses {@code "K=V K2='a b'"} and the long form {@code ParameterKey=K,ParameterValue=V}.
     */
    public static Map<String, String> parseOverrides(String text) {
        Map<String, String> overrides = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return overrides;
        }
        for (String token : splitRespectingQuotes(text)) {
            Matcher longForm = SAM_LONG_FORM.matcher(token);
            String key;
            String value;
            if (longForm.matches()) {
                key = longForm.group(1);
                value = longForm.group(2);
            } else {
                int eq = token.indexOf('=');
                if (eq <= 0) {
                    throw new TemplateException("parameter override '" + token + "' is not Key=Value");
                }
                key = token.substring(0, eq);
                value = token.substring(eq + 1);
            }
            overrides.put(key, value);
        }
        return overrides;
    }

    private static List<String> splitRespectingQuotes(String text) {
        List<String> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        char quote = 0;
        boolean inToken = false;
        for (char c : text.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    current.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                inToken = true;
            } else if (Character.isWhitespace(c)) {
                if (inToken) {
                    tokens.add(current.toString());
                    current.setLength(0);
                    inToken = false;
                }
            } else {
                current.append(c);
                inToken = true;
            }
        }
        if (quote != 0) {
            throw new TemplateException("parameter overrides: unclosed quote in " + text);
        }
        if (inToken) {
            tokens.add(current.toString());
        }
        return tokens;
    }

    /** The value of every declared parameter (as CloudFormation's Ref yields it: a string), validated. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> resolve(Map<String, Object> declared, Map<String, String> overrides) {
        for (String key : overrides.keySet()) {
            if (!declared.containsKey(key)) {
                throw new TemplateException("parameter override " + key + ": the template has no such parameter (it has "
                        + String.join(", ", declared.keySet()) + ")");
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        declared.forEach((name, definition) -> {
            Map<String, Object> def = (Map<String, Object>) definition;
            Object raw = overrides.containsKey(name) ? overrides.get(name) : def.get("Default");
            if (raw == null) {
                throw new TemplateException("parameter " + name + " has no Default: pass it with --parameter-overrides " + name + "=...");
            }
            String value = String.valueOf(raw);
            String type = String.valueOf(def.getOrDefault("Type", "String"));
            switch (type) {
                case "Number" -> checkNumber(name, value, def);
                case "String" -> checkString(name, value, def);
                case "CommaDelimitedList", "List<Number>" -> {
                    values.put(name, List.of(value.split("\\s*,\\s*")));
                    return;
                }
                default -> {
                    if (!type.startsWith("AWS::SSM::") && !type.startsWith("AWS::") && !type.startsWith("List<")) {
                        throw new TemplateException("parameter " + name + ": type " + type + " is not supported");
                    }
                }
            }
            checkAllowedValues(name, value, def);
            values.put(name, value);
        });
        return values;
    }

    private static void checkNumber(String name, String value, Map<String, Object> def) {
        BigDecimal number;
        try {
            number = new BigDecimal(value.trim());
        } catch (NumberFormatException e) {
            throw new TemplateException("parameter " + name + "=" + value + ": not a Number");
        }
        Object min = def.get("MinValue");
        Object max = def.get("MaxValue");
        if (min != null && number.compareTo(new BigDecimal(String.valueOf(min))) < 0) {
            throw new TemplateException("parameter " + name + "=" + value + ": below MinValue " + min);
        }
        if (max != null && number.compareTo(new BigDecimal(String.valueOf(max))) > 0) {
            throw new TemplateException("parameter " + name + "=" + value + ": above MaxValue " + max);
        }
    }

    private static void checkString(String name, String value, Map<String, Object> def) {
        Object minLength = def.get("MinLength");
        Object maxLength = def.get("MaxLength");
        Object pattern = def.get("AllowedPattern");
        if (minLength != null && value.length() < Integer.parseInt(String.valueOf(minLength))) {
            throw new TemplateException("parameter " + name + "=" + value + ": shorter than MinLength " + minLength);
        }
        if (maxLength != null && value.length() > Integer.parseInt(String.valueOf(maxLength))) {
            throw new TemplateException("parameter " + name + "=" + value + ": longer than MaxLength " + maxLength);
        }
        if (pattern != null && !value.matches(String.valueOf(pattern))) {
            throw new TemplateException("parameter " + name + "=" + value + ": does not match AllowedPattern " + pattern);
        }
    }

    private static void checkAllowedValues(String name, String value, Map<String, Object> def) {
        if (def.get("AllowedValues") instanceof List<?> allowed
                && allowed.stream().map(String::valueOf).noneMatch(value::equals)) {
            throw new TemplateException("parameter " + name + "=" + value + ": not one of AllowedValues " + allowed);
        }
    }
}
