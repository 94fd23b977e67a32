#!/usr/bin/env bash
# Installs a Node 24 binary into .node24/node_modules/.bin (the npm package `node@24`), outside
# the project's dependencies, for CI's second run of the suite. Reuses an existing install.
# Usage: bash tools/package/install-node24.sh  ->  prints the folder to put first on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=.node24
bin="$dir/node_modules/.bin"
if [ ! -x "$bin/node" ] || [[ "$("$bin/node" --version)" != v24.* ]]; then
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{ "private": true, "description": "Node 24 for CI (tools/package/install-node24.sh)" }' > "$dir/package.json"
  npm install --prefix "$dir" --no-save --prefer-offline --no-audit --no-fund --loglevel=error node@24 >&2
fi
"$bin/node" --version >&2
echo "$(pwd)/$bin"
