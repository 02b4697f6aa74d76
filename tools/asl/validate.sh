#!/usr/bin/env bash
# Validates a SAM state machine definition as deployed (see validate.mjs).
#   tools/asl/validate.sh <template.yaml> <definition.asl.json> [--out file]
# Installs the pinned validator first when it is missing or stale (tools/npm-ci.sh). Run by the
# functions module's Maven build (validate phase).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

"$here/../npm-ci.sh" "$here" "ASL validation"

exec node "$here/validate.mjs" "$@"
