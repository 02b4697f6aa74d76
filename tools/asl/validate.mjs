#!/usr/bin/env node
// Validates a state machine definition as it is deployed, not as it sits on disk.
//
//   node tools/asl/validate.mjs <template.yaml> <definition.asl.json> [--state-machine Id] [--out file]
//
// The ASL file is a SAM DefinitionUri file: numbers are unquoted ${Name} placeholders and
// strings quoted ones, filled from the state machine's DefinitionSubstitutions. This script
// 1. resolves each substitution from template.yaml: !Ref <Parameter> -> the parameter's
//    Default, !Ref <Function>.Alias -> a plausible alias ARN, plain strings and numbers as is;
// 2. fails if a ${Name} in the definition has no substitution, or a substitution is unused;
// 3. substitutes, parses the result as JSON and validates it with asl-validator;
// 4. writes the substituted definition to --out (default: stdout is left alone) so that
//    JUnit tests can assert the workflow rules on exactly what was validated.
// Exit code 0 when valid; 1 with one readable line per problem otherwise.

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { createRequire } from "node:module";
import { parse } from "yaml";

const require = createRequire(import.meta.url);
const aslValidator = require("asl-validator");

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const PSEUDO = {
  "AWS::AccountId": ACCOUNT,
  "AWS::Region": REGION,
  "AWS::Partition": "aws",
  "AWS::URLSuffix": "amazonaws.com",
  "AWS::StackName": "runlane",
};

function fail(problems) {
  for (const p of [].concat(problems)) console.error(`ASL validation: ${p}`);
  process.exit(1);
}

// CloudFormation short-form tags (!Ref, !GetAtt, !Sub, ...) as their long forms.
const INTRINSICS = ["Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join",
  "Select", "Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or", "Condition", "Ref"];
const customTags = INTRINSICS.flatMap((name) => {
  const key = name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
  const wrap = (v) => ({ [key]: name === "GetAtt" && typeof v === "string" ? v.split(/\.(.*)/s, 2) : v });
  return [
    { tag: `!${name}`, resolve: (s) => wrap(s) },
    { tag: `!${name}`, collection: "seq", resolve: (n) => wrap(n.toJSON()) },
    { tag: `!${name}`, collection: "map", resolve: (n) => wrap(n.toJSON()) },
  ];
});

function parseArgs(argv) {
  const args = { positional: [], stateMachine: null, out: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--state-machine") args.stateMachine = argv[++i];
    else if (argv[i] === "--out") args.out = argv[++i];
    else args.positional.push(argv[i]);
  }
  if (args.positional.length !== 2) {
    fail("usage: validate.mjs <template.yaml> <definition.asl.json> [--state-machine LogicalId] [--out file]");
  }
  return args;
}

/** The state machine resource whose DefinitionUri is the given file (or the one named). */
function findStateMachine(resources, templatePath, aslPath, wanted) {
  const machines = Object.entries(resources).filter(([, r]) => r.Type === "AWS::Serverless::StateMachine");
  const hit = wanted
    ? machines.find(([id]) => id === wanted)
    : machines.find(([, r]) => typeof r.Properties?.DefinitionUri === "string"
        && resolve(dirname(templatePath), r.Properties.DefinitionUri) === resolve(aslPath));
  if (!hit) fail(`no AWS::Serverless::StateMachine in the template ${wanted ? `named ${wanted}` : `with DefinitionUri ${aslPath}`}`);
  return hit;
}

/** A deploy-time value for one DefinitionSubstitutions entry. */
function resolveValue(name, value, template) {
  const params = template.Parameters ?? {};
  const resources = template.Resources ?? {};
  const isFunction = (id) => resources[id]?.Type === "AWS::Serverless::Function"
    || resources[id]?.Type === "AWS::Lambda::Function";
  const ref = (target) => {
    if (target in PSEUDO) return PSEUDO[target];
    if (target in params) {
      if (params[target].Default === undefined) throw new Error(`parameter ${target} has no Default`);
      return String(params[target].Default);
    }
    const [id, attr] = target.split(".");
    if (attr === "Alias" && isFunction(id)) return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}:live`;
    throw new Error(`cannot resolve !Ref ${target} (not a parameter with a Default, nor a function alias)`);
  };
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  if (value && typeof value === "object") {
    if ("Ref" in value) return ref(value.Ref);
    if ("Fn::GetAtt" in value) {
      const [id, attr] = value["Fn::GetAtt"];
      if (attr === "Arn" && isFunction(id)) return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
      throw new Error(`cannot resolve !GetAtt ${id}.${attr}`);
    }
    if ("Fn::Sub" in value && typeof value["Fn::Sub"] === "string") {
      return value["Fn::Sub"].replace(/\$\{([^}!]+)\}/g, (_, v) => ref(v));
    }
  }
  throw new Error(`unsupported value ${JSON.stringify(value)}`);
}

const args = parseArgs(process.argv.slice(2));
// Paths as the user would type them from here (Maven passes absolute ones with "..").
const [templatePath, aslPath] = args.positional.map((p) => relative(process.cwd(), resolve(p)) || p);

let template;
try {
  template = parse(readFileSync(templatePath, "utf8"), { customTags, uniqueKeys: true });
} catch (e) {
  fail(`${templatePath}: ${e.message.split("\n")[0]}`);
}
const [machineId, machine] = findStateMachine(template.Resources ?? {}, templatePath, aslPath, args.stateMachine);
const substitutions = machine.Properties.DefinitionSubstitutions ?? {};
const raw = readFileSync(aslPath, "utf8");

const problems = [];
const values = {};
for (const [name, value] of Object.entries(substitutions)) {
  try {
    values[name] = resolveValue(name, value, template);
  } catch (e) {
    problems.push(`${machineId} DefinitionSubstitutions.${name}: ${e.message}`);
  }
}

const lineOf = (index) => raw.slice(0, index).split("\n").length;
const used = new Set();
for (const m of raw.matchAll(/\$\{([^}]*)\}/g)) {
  used.add(m[1]);
  if (!(m[1] in substitutions)) {
    problems.push(`${aslPath}:${lineOf(m.index)}: placeholder \${${m[1]}} has no entry in ${machineId} DefinitionSubstitutions`);
  }
}
for (const name of Object.keys(substitutions)) {
  if (!used.has(name)) problems.push(`${machineId} DefinitionSubstitutions.${name} is not used in ${aslPath}`);
}
if (problems.length) fail(problems);

// Like CloudFormation: plain text replacement, then the result must be JSON.
const deployed = raw.replace(/\$\{([^}]*)\}/g, (_, name) => values[name]);
let definition;
try {
  definition = JSON.parse(deployed);
} catch (e) {
  const at = Number(/position (\d+)/.exec(e.message)?.[1]);
  const where = Number.isFinite(at) ? `, near: ${deployed.split("\n")[deployed.slice(0, at).split("\n").length - 1].trim()}` : "";
  fail(`${aslPath} is not valid JSON once substituted: ${e.message}${where}`);
}

const result = aslValidator(definition, { checkPaths: true, checkArn: true });
if (!result.isValid) {
  fail(result.errors.map((e) => `${aslPath}: ${e["Error code"]}: ${e.Message}${e.path ? ` (at ${e.path})` : ""}`));
}

if (args.out) {
  mkdirSync(dirname(args.out), { recursive: true });
  // asl-validator annotates states with a default QueryLanguage: write the text we validated.
  writeFileSync(args.out, JSON.stringify(JSON.parse(deployed), null, 2) + "\n");
}
const states = Object.keys(definition.States ?? {}).length;
console.log(`ASL valid: ${aslPath} (${machineId}, ${states} states, ${Object.keys(substitutions).length} substitutions)`
  + (args.out ? ` -> ${args.out}` : ""));
