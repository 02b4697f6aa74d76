package dev.runlane.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * template.yaml as a deploy really creates it: translated by aws-sam-translator (the code of
 * CloudFormation's AWS::Serverless-2016-10-31 transform and of the SAM CLI) with the parameter
 * values CloudFormation hands the transform, by {@code tools/sam/translate.py}. It checks what
 * only the translated template shows:
 * <ul>
 *   <li>a parameter-only deploy publishes a new version of every function that reads the parameter
 *   (its Timeout or an environment variable), and the {@code live} alias follows it; a function that
 *   does not read it keeps its version (Lambda refuses to publish an unchanged function, which fails
 *   the deploy); a code-only deploy still publishes every function;</li>
 *   <li>each function's role grants the SQS, Step Functions and key DynamoDB actions its code calls.</li>
 * </ul>
 * Needs Python 3 with aws-sam-translator (installed with cfn-lint; {@code .ci/run} installs it). Without
 * it the test is skipped, except with {@code CI=true}, where it fails.
 */
class SamTransformIT {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path TEMPLATE = ROOT.resolve("template.yaml");
    static final Path SCRIPT = ROOT.resolve("tools/sam/translate.py");
    static final ObjectMapper JSON = new ObjectMapper();

    /** A parameter-only deploy: a longer attempt (600 -> 899 s, the hosted dispatch's Timeout), a shorter hold (300 -> 60 s, the gate's). */
    static final Map<String, String> LONGER_ATTEMPT = Map.of("AttemptTimeoutSeconds", "899", "HoldSeconds", "60");

    /** Why the translator cannot run here (null: it can); each test is then skipped with it. */
    static String unavailable;
    static JsonNode defaults;
    static JsonNode longerAttempt;
    static JsonNode newCode;
    /** Per template Parameter: the translation with only that parameter changed, and the value it got. */
    static final Map<String, JsonNode> oneChanged = new TreeMap<>();
    static final Map<String, String> changedValue = new TreeMap<>();

    @BeforeAll
    static void translate() throws Exception {
        String first = run(List.of(), "");
        if (first == null) {
            return; // unavailable: every test skips with the reason
        }
        defaults = JSON.readTree(first);
        JsonNode parameters = defaults.path("Parameters");
        assertFalse(parameters.isEmpty(), "template.yaml declares no Parameters");
        ArrayNode sets = JSON.createArrayNode();
        sets.addObject().set("parameters", JSON.valueToTree(LONGER_ATTEMPT));
        sets.addObject().put("artifactVersion", "next-build");
        List<String> names = new ArrayList<>();
        parameters.properties().forEach(p -> {
            String value = anotherValue(p.getKey(), p.getValue());
            names.add(p.getKey());
            changedValue.put(p.getKey(), value);
            sets.addObject().set("parameters", JSON.createObjectNode().put(p.getKey(), value));
        });
        JsonNode translated = JSON.readTree(run(List.of("--batch"), JSON.writeValueAsString(sets)));
        assertEquals(sets.size(), translated.size(), "one translation per parameter set");
        longerAttempt = translated.get(0);
        newCode = translated.get(1);
        for (int i = 0; i < names.size(); i++) {
            oneChanged.put(names.get(i), translated.get(2 + i));
        }
    }

    // ------------------------------------------------------------------ versions

    @Test
    void aParameterOnlyDeployPublishesTheFunctionsThatReadIt() {
        requireTranslator();
        Map<String, Set<String>> reads = parametersRead(defaults);
        Set<String> changed = LONGER_ATTEMPT.keySet();
        Map<String, String> before = versionIdentities(defaults, Map.of());
        Map<String, String> after = versionIdentities(longerAttempt, LONGER_ATTEMPT);
        assertEquals(before.keySet(), after.keySet(), "the same functions in both translations");
        assertTrue(reads.get("HostedDispatchFunction").contains("AttemptTimeoutSeconds"),
                "the hosted dispatch's Lambda timeout is AttemptTimeoutSeconds: " + reads);
        assertTrue(reads.get("GateFunction").contains("HoldSeconds"), "the gate reads HoldSeconds: " + reads);
        List<String> wrong = new ArrayList<>();
        before.forEach((function, version) -> {
            boolean readsOne = reads.get(function).stream().anyMatch(changed::contains);
            boolean published = !version.equals(after.get(function));
            if (readsOne && !published) {
                wrong.add(function + " reads " + reads.get(function) + " but keeps version " + version
                        + ": its live alias would stay on the old timeout/environment");
            } else if (!readsOne && published) {
                wrong.add(function + " reads none of " + changed + " but would publish a new version: Lambda refuses"
                        + " to publish an unchanged function, and the deploy fails");
            }
        });
        assertTrue(wrong.isEmpty(), "AttemptTimeoutSeconds 600 -> 899, HoldSeconds 300 -> 60:\n" + String.join("\n", wrong));
        assertAliasesFollowTheirVersion(defaults);
        assertAliasesFollowTheirVersion(longerAttempt);
    }

    /** Every Parameter, one at a time: exactly the functions whose configuration references it get a new version. */
    @Test
    void everyParameterAFunctionReadsPublishesItAlone() {
        requireTranslator();
        Map<String, Set<String>> reads = parametersRead(defaults);
        Map<String, String> before = versionIdentities(defaults, Map.of());
        List<String> wrong = new ArrayList<>();
        oneChanged.forEach((parameter, translated) -> {
            Map<String, String> after = versionIdentities(translated, Map.of(parameter, changedValue.get(parameter)));
            before.forEach((function, version) -> {
                boolean reader = reads.get(function).contains(parameter);
                boolean published = !version.equals(after.get(function));
                if (reader != published) {
                    wrong.add(parameter + "=" + changedValue.get(parameter) + ": " + function
                            + (reader ? " reads it but keeps its version (name it in the function's VersionDescription)"
                                      : " does not read it but would publish a new version (the deploy would fail)"));
                }
            });
        });
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    @Test
    void aCodeOnlyDeployStillPublishesEveryFunction() {
        requireTranslator();
        Map<String, String> before = versionLogicalIds(defaults);
        Map<String, String> after = versionLogicalIds(newCode);
        before.forEach((function, version) -> assertFalse(version.equals(after.get(function)),
                function + " keeps version " + version + " when only its code (the packaged artifact) changes"));
        assertAliasesFollowTheirVersion(newCode);
    }

    /**
     * What CloudFormation sees of a function's version: its logical id (SAM hashes the code into it) and
     * its Description as CloudFormation resolves it. Both are fixed at creation: if either differs, the
     * deploy creates a new AWS::Lambda::Version (a new logical id, or a replacement), which publishes.
     */
    static Map<String, String> versionIdentities(JsonNode template, Map<String, String> overrides) {
        Map<String, String> values = parameterValues(template, overrides);
        Map<String, String> identities = new TreeMap<>();
        versionLogicalIds(template).forEach((function, logicalId) -> identities.put(function, logicalId + " \""
                + resolve(template.path("Resources").path(logicalId).path("Properties").path("Description"), values) + "\""));
        return identities;
    }

    /** Function logical id → the logical id of its one AWS::Lambda::Version. */
    static Map<String, String> versionLogicalIds(JsonNode template) {
        Map<String, String> versions = new TreeMap<>();
        resources(template, "AWS::Lambda::Version").forEach((id, version) -> {
            String function = version.path("Properties").path("FunctionName").path("Ref").asText();
            String earlier = versions.put(function, id);
            assertTrue(earlier == null, function + " has two versions: " + earlier + ", " + id);
        });
        assertEquals(resources(template, "AWS::Lambda::Function").keySet(), versions.keySet(),
                "every function is published (AutoPublishAlias)");
        return versions;
    }

    static void assertAliasesFollowTheirVersion(JsonNode template) {
        Map<String, String> versions = versionLogicalIds(template);
        Map<String, String> aliases = new TreeMap<>();
        resources(template, "AWS::Lambda::Alias").forEach((id, alias) -> {
            JsonNode p = alias.path("Properties");
            assertEquals("live", p.path("Name").asText(), id);
            aliases.put(p.path("FunctionName").path("Ref").asText(), p.path("FunctionVersion").path("Fn::GetAtt").path(0).asText());
        });
        assertEquals(versions, aliases, "each function's live alias points at its (new) version");
    }

    /** Function → the Parameters its Lambda configuration references (Ref or ${…} in Fn::Sub), tags aside. */
    private static final Set<String> NOT_VERSIONED = Set.of("Tags", "ReservedConcurrentExecutions");

    static Map<String, Set<String>> parametersRead(JsonNode template) {
        Set<String> parameters = new TreeSet<>();
        template.path("Parameters").fieldNames().forEachRemaining(parameters::add);
        Map<String, Set<String>> reads = new TreeMap<>();
        resources(template, "AWS::Lambda::Function").forEach((id, function) -> {
            Set<String> found = new TreeSet<>();
            // Tags and the reserved concurrency belong to the function, not to a version: changing them publishes nothing.
            function.path("Properties").properties().forEach(p -> {
                if (!NOT_VERSIONED.contains(p.getKey())) collectReferences(p.getValue(), parameters, found);
            });
            reads.put(id, found);
        });
        return reads;
    }

    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}!][^}]*)}");

    private static void collectReferences(JsonNode node, Set<String> parameters, Set<String> into) {
        if (node.isObject()) {
            if (node.size() == 1 && node.has("Ref") && parameters.contains(node.get("Ref").asText())) {
                into.add(node.get("Ref").asText());
            }
            JsonNode sub = node.get("Fn::Sub");
            if (node.size() == 1 && sub != null) {
                String text = sub.isArray() ? sub.path(0).asText() : sub.asText();
                Set<String> local = new TreeSet<>();
                if (sub.isArray()) sub.path(1).fieldNames().forEachRemaining(local::add);
                Matcher m = SUB_VARIABLE.matcher(text);
                while (m.find()) {
                    if (parameters.contains(m.group(1)) && !local.contains(m.group(1))) into.add(m.group(1));
                }
            }
            node.forEach(child -> collectReferences(child, parameters, into));
        } else if (node.isArray()) {
            node.forEach(child -> collectReferences(child, parameters, into));
        }
    }

    /** A version Description as CloudFormation resolves it: a string, or an Fn::Sub of parameters. */
    static String resolve(JsonNode description, Map<String, String> values) {
        if (description.isMissingNode() || description.isNull()) return "";
        if (description.isTextual()) return description.asText();
        JsonNode sub = description.get("Fn::Sub");
        if (description.size() != 1 || sub == null || !sub.isTextual()) {
            fail("cannot resolve a version Description of " + description + " (only a string or a string Fn::Sub)");
        }
        Matcher m = SUB_VARIABLE.matcher(sub.asText());
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String value = values.get(name);
            if (value == null && !name.startsWith("AWS::")) fail("Description " + sub + " references " + name + ", not a Parameter");
            m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
        }
        m.appendTail(out);
        return out.toString();
    }

    static Map<String, String> parameterValues(JsonNode template, Map<String, String> overrides) {
        Map<String, String> values = new TreeMap<>();
        template.path("Parameters").properties().forEach(p -> values.put(p.getKey(), p.getValue().path("Default").asText()));
        values.putAll(overrides);
        return values;
    }

    /** A valid value other than the Default (Number parameters within MinValue/MaxValue; a String one gets a suffix). */
    static String anotherValue(String name, JsonNode spec) {
        if ("String".equals(spec.path("Type").asText()) && spec.path("Default").isTextual()) {
            return spec.path("Default").asText() + "-2";
        }
        if (!"Number".equals(spec.path("Type").asText()) || !spec.path("Default").isNumber()) {
            fail("parameter " + name + ": this test only knows how to change Number parameters with a Default; teach it this one");
        }
        long value = spec.path("Default").asLong();
        if (!spec.has("MaxValue") || value + 1 <= spec.path("MaxValue").asLong()) return Long.toString(value + 1);
        if (!spec.has("MinValue") || value - 1 >= spec.path("MinValue").asLong()) return Long.toString(value - 1);
        fail("parameter " + name + " has no other valid value");
        return null;
    }

    // ------------------------------------------------------------------ IAM

    /**
     * What each function's code calls (Components.java wires the adapters; aws/…/*.java makes the calls)
     * and must therefore be granted. SQS and Step Functions grants must be exactly these (nothing a
     * function never calls); DynamoDB ones must at least be there (the protocol's writes, not every read).
     */
    record Grant(String function, String action, String resource, String why) {
    }

    static final String QUEUE = "RunQueue";
    static final String EXECUTIONS = "RunStateMachine executions";

    static final List<Grant> EXPECTED = List.of(
            // The API: start, resume, cancel (which ends the run through the finalizer).
            new Grant("ApiFunction", "sqs:SendMessage", QUEUE, "a start enqueues its run (SqsThreadQueue.enqueue)"),
            new Grant("ApiFunction", "sqs:ChangeMessageVisibility", QUEUE, "resume gives a paused thread's head back (release)"),
            new Grant("ApiFunction", "sqs:DeleteMessage", QUEUE, "a cancel frees the thread: Finalizer -> SqsThreadQueue.done"),
            new Grant("ApiFunction", "states:StopExecution", EXECUTIONS, "a cancel stops the run's execution"),
            new Grant("ApiFunction", "dynamodb:UpdateItem", "FencesTable", "a cancel fences out the run's attempts"),
            new Grant("ApiFunction", "dynamodb:GetItem", "FencesTable", "ending a run reads who holds the token"),
            new Grant("ApiFunction", "dynamodb:UpdateItem", "ThreadsTable", "a start and a run's end count the thread's unfinished runs"),
            // The gate: its event source, the hold, the dead letters, the executions.
            new Grant("GateFunction", "sqs:ReceiveMessage", QUEUE, "its SQS event source"),
            new Grant("GateFunction", "sqs:GetQueueAttributes", QUEUE, "its SQS event source"),
            new Grant("GateFunction", "sqs:DeleteMessage", QUEUE, "a run ended at the gate frees its thread (done)"),
            new Grant("GateFunction", "sqs:ChangeMessageVisibility", QUEUE, "hold and release"),
            new Grant("GateFunction", "sqs:SendMessage", "RunDeadLetterQueue", "a malformed message is dead-lettered"),
            new Grant("GateFunction", "states:StartExecution", "RunStateMachine", "admission starts the run's execution"),
            new Grant("GateFunction", "states:DescribeExecution", EXECUTIONS, "a redelivered head re-checks its execution"),
            new Grant("GateFunction", "states:StopExecution", EXECUTIONS, "a run superseded or ended while starting is stopped"),
            new Grant("GateFunction", "dynamodb:UpdateItem", "FencesTable", "finishing a run fences out its attempts"),
            new Grant("GateFunction", "dynamodb:GetItem", "FencesTable", "ending a run reads who holds the token"),
            new Grant("GateFunction", "dynamodb:UpdateItem", "RunsTable", "admission marks the run RUNNING"),
            new Grant("GateFunction", "dynamodb:UpdateItem", "ThreadsTable", "admission records the run; a run's end counts down"),
            // Finalize and the reaper: a run's end, then the thread's release.
            new Grant("FinalizeFunction", "sqs:DeleteMessage", QUEUE, "a run's end deletes its thread's head (done)"),
            new Grant("FinalizeFunction", "sqs:ChangeMessageVisibility", QUEUE, "visibility 0 when the delete is refused"),
            new Grant("FinalizeFunction", "dynamodb:UpdateItem", "RunsTable", "the run becomes terminal"),
            new Grant("FinalizeFunction", "dynamodb:UpdateItem", "FencesTable", "its attempts are fenced out"),
            new Grant("FinalizeFunction", "dynamodb:GetItem", "FencesTable", "ending a run reads who holds the token"),
            new Grant("FinalizeFunction", "dynamodb:UpdateItem", "ThreadsTable", "a run's end counts down its thread's unfinished runs"),
            new Grant("ReaperFunction", "sqs:DeleteMessage", QUEUE, "a run's end deletes its thread's head (done)"),
            new Grant("ReaperFunction", "sqs:ChangeMessageVisibility", QUEUE, "visibility 0 when the delete is refused"),
            new Grant("ReaperFunction", "dynamodb:UpdateItem", "RunsTable", "the run becomes terminal"),
            new Grant("ReaperFunction", "dynamodb:UpdateItem", "FencesTable", "its attempts are fenced out"),
            new Grant("ReaperFunction", "dynamodb:GetItem", "FencesTable", "ending a run reads who holds the token"),
            new Grant("ReaperFunction", "dynamodb:UpdateItem", "ThreadsTable", "a run's end counts down its thread's unfinished runs"),
            // The dispatches: acquire (a transaction on the fence and the run), fenced writes. No SQS, no Step Functions.
            new Grant("HostedDispatchFunction", "dynamodb:UpdateItem", "FencesTable", "acquire takes the next token"),
            new Grant("HostedDispatchFunction", "dynamodb:UpdateItem", "RunsTable", "acquire begins the attempt"),
            new Grant("HostedDispatchFunction", "dynamodb:ConditionCheckItem", "FencesTable", "every write checks the token"),
            new Grant("DesktopDispatchFunction", "dynamodb:UpdateItem", "FencesTable", "acquire takes the next token"),
            new Grant("DesktopDispatchFunction", "dynamodb:ConditionCheckItem", "FencesTable", "the start frame checks the token"),
            // The daemon API: reports forwarded to the waiting task.
            new Grant("DaemonApiFunction", "states:SendTaskHeartbeat", "*", "a heartbeat report"),
            new Grant("DaemonApiFunction", "states:SendTaskSuccess", "*", "a succeeded report"),
            new Grant("DaemonApiFunction", "states:SendTaskFailure", "*", "a failed report"),
            new Grant("DaemonApiFunction", "dynamodb:ConditionCheckItem", "FencesTable", "reports are fenced writes"),
            new Grant("DaemonApiFunction", "dynamodb:UpdateItem", "DaemonsTable", "rotate replaces the credential's hash"),
            new Grant("DaemonApiFunction", "dynamodb:DeleteItem", "DaemonsTable", "revoke removes the daemon"));

    /** Services whose grants must match {@link #EXPECTED} exactly (least privilege). */
    static final Set<String> EXACT_SERVICES = Set.of("sqs", "states");

    @Test
    void eachFunctionIsGrantedTheCallsItsCodeMakes() {
        requireTranslator();
        Map<String, Set<String>> granted = grants(defaults);
        Set<String> functions = new TreeSet<>();
        EXPECTED.forEach(g -> functions.add(g.function()));
        assertEquals(resources(defaults, "AWS::Lambda::Function").keySet(), functions,
                "the expected table names every function of the template");
        List<String> missing = new ArrayList<>();
        for (Grant g : EXPECTED) {
            if (!granted.get(g.function()).contains(g.action() + " on " + g.resource())) {
                missing.add(g.function() + " lacks " + g.action() + " on " + g.resource() + " (" + g.why() + ")");
            }
        }
        assertTrue(missing.isEmpty(), String.join("\n", missing));
        List<String> extra = new ArrayList<>();
        granted.forEach((function, grants) -> grants.stream()
                .filter(grant -> EXACT_SERVICES.contains(grant.substring(0, grant.indexOf(':'))))
                .filter(grant -> EXPECTED.stream().noneMatch(g -> g.function().equals(function)
                        && grant.equals(g.action() + " on " + g.resource())))
                .forEach(grant -> extra.add(function + " is granted " + grant + ", which its code never calls")));
        assertTrue(extra.isEmpty(), String.join("\n", extra));
    }

    /** Function → "action on resource" for every Allow statement of its role's inline policies. */
    static Map<String, Set<String>> grants(JsonNode template) {
        Map<String, Set<String>> byFunction = new TreeMap<>();
        resources(template, "AWS::Lambda::Function").forEach((id, function) -> {
            String role = function.path("Properties").path("Role").path("Fn::GetAtt").path(0).asText();
            JsonNode policies = template.path("Resources").path(role).path("Properties").path("Policies");
            assertFalse(policies.isMissingNode(), id + ": no inline policies on its role " + role);
            Set<String> grants = new TreeSet<>();
            policies.forEach(policy -> list(policy.path("PolicyDocument").path("Statement")).forEach(statement -> {
                if (!"Allow".equals(statement.path("Effect").asText())) return;
                for (JsonNode action : list(statement.path("Action"))) {
                    for (JsonNode resource : list(statement.path("Resource"))) {
                        grants.add(action.asText() + " on " + describe(resource));
                    }
                }
            }));
            byFunction.put(id, grants);
        });
        return byFunction;
    }

    private static final Pattern INDEX = Pattern.compile("\\$\\{(\\w+)\\.Arn}/index/(\\w+)");
    private static final Pattern EXECUTION = Pattern.compile(":execution:\\$\\{(\\w+)\\.Name}:\\*$");

    /** A statement's resource by the template resource it names: "RunQueue", "RunsTable/index/ByThread", "*". */
    static String describe(JsonNode resource) {
        if (resource.isTextual()) return resource.asText();
        if (resource.has("Fn::GetAtt")) return resource.path("Fn::GetAtt").path(0).asText();
        if (resource.has("Ref")) return resource.path("Ref").asText();
        String sub = resource.path("Fn::Sub").asText("");
        Matcher index = INDEX.matcher(sub);
        if (index.matches()) return index.group(1) + "/index/" + index.group(2);
        Matcher execution = EXECUTION.matcher(sub);
        if (execution.find()) return execution.group(1) + " executions";
        return resource.toString();
    }

    // ------------------------------------------------------------------ helpers

    static Map<String, JsonNode> resources(JsonNode template, String type) {
        Map<String, JsonNode> found = new LinkedHashMap<>();
        template.path("Resources").properties().forEach(e -> {
            if (type.equals(e.getValue().path("Type").asText())) found.put(e.getKey(), e.getValue());
        });
        return found;
    }

    static List<JsonNode> list(JsonNode node) {
        List<JsonNode> items = new ArrayList<>();
        if (node.isArray()) node.forEach(items::add);
        else if (!node.isMissingNode()) items.add(node);
        return items;
    }

    /** Runs tools/sam/translate.py on template.yaml; stdin as given, stdout returned. */
    static String run(List<String> arguments, String stdin) throws IOException, InterruptedException {
        String python = System.getenv().getOrDefault("RUNLANE_PYTHON", "python3");
        List<String> command = new ArrayList<>(List.of(python, SCRIPT.toString(), "--template", TEMPLATE.toString()));
        command.addAll(arguments);
        Path errors = Files.createTempFile("sam-translate", ".err");
        try {
            Process process;
            try {
                process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
            } catch (IOException e) {
                return unavailable(python + " cannot be started (" + e.getMessage() + "): install Python 3 and cfn-lint");
            }
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("tools/sam/translate.py did not finish in 120 s");
            }
            String err = Files.readString(errors);
            if (process.exitValue() == 3) {
                return unavailable(err.strip() + " (.ci/run installs it)");
            }
            assertEquals(0, process.exitValue(), "tools/sam/translate.py " + arguments + " failed:\n" + err);
            return out;
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /** Python or aws-sam-translator is missing: a failure in CI (a broken setup), else a reason to skip. */
    private static String unavailable(String reason) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(reason);
        }
        unavailable = reason;
        return null;
    }

    /** Skips the test, with the reason, where the translator cannot run (never in CI: see {@link #unavailable}). */
    private static void requireTranslator() {
        Assumptions.assumeTrue(unavailable == null, () -> "skipped: " + unavailable);
    }
}
