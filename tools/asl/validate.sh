#!/usr/bin/env bash
# Validates a SAM state machine definition as deployed (see validate.mjs).
#   tools/asl/validate.sh <template.yaml> <definition.asl.json> [--out file]
# Installs the pinned validator with `npm ci` when node_modules is missing or older
# than package-lock.json. Run by the functions module's Maven build (validate phase).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "ASL validation needs Node.js 18+ and npm on PATH ('$tool' not found): install them (e.g. apt-get install nodejs npm) and build again." >&2
    exit 127
  fi
done

stamp="$here/node_modules/.package-lock.json"   # written by npm ci/install
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ] || [ "$here/package.json" -nt "$stamp" ]; then
  echo "ASL validation: installing the pinned asl-validator (npm ci in tools/asl)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

exec node "$here/validate.mjs" "$@"
