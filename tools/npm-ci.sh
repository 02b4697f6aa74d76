#!/usr/bin/env bash
# Installs a package's pinned npm dependencies with `npm ci` when node_modules is missing or older
# than package.json / package-lock.json. Used by tools/asl/validate.sh and console/web/build.sh.
#   tools/npm-ci.sh <package dir> <what needs it, for the messages>
set -euo pipefail
dir="${1:?usage: npm-ci.sh <package dir> <purpose>}"
purpose="${2:?usage: npm-ci.sh <package dir> <purpose>}"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$purpose needs Node.js 20+ and npm on PATH ('$tool' not found): install them (e.g. apt-get install nodejs npm) and build again." >&2
    exit 127
  fi
done

stamp="$dir/node_modules/.package-lock.json"   # written by npm ci/install
if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ] || [ "$dir/package.json" -nt "$stamp" ]; then
  echo "$purpose: installing the pinned npm packages (npm ci in ${dir#"$PWD"/})"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
