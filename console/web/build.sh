#!/usr/bin/env bash
# Builds the console's web app into $1 (the Maven build passes target/classes/console).
# Installs the pinned packages first when they are missing or stale (tools/npm-ci.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh <out-dir>}"

"$here/../../tools/npm-ci.sh" "$here" "the console's build"

cd "$here"
exec node node_modules/vite/bin/vite.js build --logLevel warn --emptyOutDir --outDir "$out"
