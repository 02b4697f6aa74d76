#!/usr/bin/env bash
# Builds the console's web app into $1 (the Maven build passes target/classes/console).
# Installs the pinned packages with `npm ci` when node_modules is missing or older than
# package-lock.json, as tools/asl/validate.sh does.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh <out-dir>}"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "the console's build needs Node.js 20+ and npm on PATH ('$tool' not found): install them (e.g. apt-get install nodejs npm) and build again." >&2
    exit 127
  fi
done

stamp="$here/node_modules/.package-lock.json"   # written by npm ci/install
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ] || [ "$here/package.json" -nt "$stamp" ]; then
  echo "console: installing the pinned web packages (npm ci in console/web)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

cd "$here"
exec node node_modules/vite/bin/vite.js build --logLevel warn --emptyOutDir --outDir "$out"
