#!/usr/bin/env python3
"""Translates template.yaml into the CloudFormation template a deploy would create, offline.

It does what `sam package` + `sam deploy` + CloudFormation's AWS::Serverless-2016-10-31 transform do:
- each local artifact (a function's CodeUri, a state machine's DefinitionUri) becomes an S3 URI, as
  `sam package` uploads it: s3://runlane-sam-package/<artifact-version>/<path>. `sam package` names the
  object after its content hash; --artifact-version stands in for that hash (change it to play a code
  change);
- the transform gets every parameter's value the way CloudFormation hands them to it: the override,
  else the Default, as a string (Number parameters checked against MinValue/MaxValue first, as
  CloudFormation does before any transform);
- the translator is aws-sam-translator's own entry point, samtranslator.translator.transform.transform,
  with a managed-policy loader that needs no AWS: the policy list cfn-lint ships (as cfn-lint's own
  offline translation uses), and none at all if cfn-lint is absent (the template names no managed
  policy; if it ever does, the translation fails saying so).

Usage:
  translate.py [--template template.yaml] [--region us-east-1] [--artifact-version V] [Key=Value ...]
      prints the translated template (JSON)
  translate.py --batch [--template ...] < sets.json
      sets.json: a JSON array of {"parameters": {Key: Value, ...}, "artifactVersion": "V"} (both optional);
      prints a JSON array of translated templates, in order (one Python start for many translations)

Exit codes: 0 translated; 1 the template or a parameter is invalid (the reasons on stderr); 2 bad usage;
3 aws-sam-translator is not installed (it comes with cfn-lint: pip install cfn-lint).
"""

import argparse
import copy
import json
import logging
import os
import sys
from pathlib import Path

PACKAGE_BUCKET = "runlane-sam-package"
NOT_INSTALLED = 3


class TemplateError(Exception):
    pass


def main(argv):
    args = parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", args.region)
    # Its metrics warn on stderr at exit ("unpublished metrics"); errors come back as exceptions.
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    try:
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.translator.transform import transform
        from samtranslator.yaml_helper import yaml_parse
    except ImportError as missing:
        print(f"translate.py: aws-sam-translator is not installed ({missing}); it comes with cfn-lint: "
              "python3 -m pip install cfn-lint", file=sys.stderr)
        return NOT_INSTALLED

    template_path = Path(args.template)
    template = yaml_parse(template_path.read_text(encoding="utf-8"))
    if args.batch:
        sets = json.load(sys.stdin)
        if not isinstance(sets, list):
            print("translate.py: --batch reads a JSON array on stdin", file=sys.stderr)
            return 2
    else:
        sets = [{"parameters": overrides(args.parameters), "artifactVersion": args.artifact_version}]

    translated = []
    for index, one in enumerate(sets):
        label = f"set {index}: " if args.batch else ""
        try:
            values = parameter_values(template, one.get("parameters") or {})
            packaged = package(copy.deepcopy(template), str(one.get("artifactVersion") or args.artifact_version))
            translated.append(transform(packaged, values, OfflineManagedPolicies()))
        except TemplateError as e:
            print(f"translate.py: {label}{e}", file=sys.stderr)
            return 1
        except InvalidDocumentException as e:
            for cause in e.causes:
                print(f"translate.py: {label}{cause.message}", file=sys.stderr)
            return 1
    json.dump(translated if args.batch else translated[0], sys.stdout, indent=1, sort_keys=True, default=str)
    print()
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Translate a SAM template offline, as a deploy would.")
    parser.add_argument("--template", default=str(Path(__file__).resolve().parents[2] / "template.yaml"))
    parser.add_argument("--region", default="us-east-1", help="AWS_DEFAULT_REGION when it is not set")
    parser.add_argument("--artifact-version", default="local",
                        help="stands for sam package's content hash of the local artifacts")
    parser.add_argument("--batch", action="store_true", help="translate the parameter sets read from stdin")
    parser.add_argument("parameters", nargs="*", metavar="Key=Value", help="parameter overrides")
    args = parser.parse_args(argv)
    if args.batch and args.parameters:
        parser.error("--batch takes its parameter sets from stdin, not the command line")
    return args


def overrides(pairs):
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"translate.py: a parameter override is Key=Value, not {pair!r}")
        values[key] = value
    return values


def parameter_values(template, given):
    """Every parameter's value as CloudFormation passes it to a transform: override, else Default, as text."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TemplateError(f"parameters not in the template: {', '.join(unknown)}")
    values = {}
    for name, spec in declared.items():
        if name in given:
            value = given[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no value and no Default")
        value = text(value)
        check(name, spec, value)
        values[name] = value.split(",") if str(spec.get("Type", "")).startswith(("List<", "CommaDelimitedList")) else value
    return values


def text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    return str(value)


def check(name, spec, value):
    if "AllowedValues" in spec and value not in [text(v) for v in spec["AllowedValues"]]:
        raise TemplateError(f"parameter {name}={value} is not one of its AllowedValues")
    if spec.get("Type") != "Number":
        return
    try:
        number = float(value)
    except ValueError:
        raise TemplateError(f"parameter {name}={value} is not a Number") from None
    if "MinValue" in spec and number < float(spec["MinValue"]):
        raise TemplateError(f"parameter {name}={value} is below its MinValue {spec['MinValue']}")
    if "MaxValue" in spec and number > float(spec["MaxValue"]):
        raise TemplateError(f"parameter {name}={value} is above its MaxValue {spec['MaxValue']}")


def package(template, artifact_version):
    """Local artifact paths become S3 URIs, as `sam package` leaves them."""
    def uploaded(properties, key):
        value = properties.get(key)
        if isinstance(value, str) and value and not value.startswith("s3://"):
            properties[key] = f"s3://{PACKAGE_BUCKET}/{artifact_version}/{value}"

    globals_ = template.get("Globals") or {}
    uploaded(globals_.get("Function") or {}, "CodeUri")
    uploaded(globals_.get("Api") or {}, "DefinitionUri")
    uploaded(globals_.get("HttpApi") or {}, "DefinitionUri")
    for resource in (template.get("Resources") or {}).values():
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function":
            uploaded(properties, "CodeUri")
        elif kind in ("AWS::Serverless::StateMachine", "AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
            uploaded(properties, "DefinitionUri")
        elif kind == "AWS::Serverless::LayerVersion":
            uploaded(properties, "ContentUri")
    return template


class OfflineManagedPolicies:
    """samtranslator's ManagedPolicyLoader without IAM: cfn-lint's bundled list of AWS managed policies."""

    def load(self):
        try:
            from cfnlint.data import Serverless
            from cfnlint.helpers import load_resource
        except ImportError:
            raise TemplateError("the template names a managed policy, and without cfn-lint there is no offline list"
                                " of them (python3 -m pip install cfn-lint)") from None
        return load_resource(Serverless, "ManagedPolicies.json")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
