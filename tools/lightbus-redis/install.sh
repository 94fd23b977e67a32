#!/usr/bin/env bash
# Installs the bench's same-run baseline, Lightbus (Python) on Redis: Debian's redis-server and the
# pinned lightbus from PyPI in <repo>/.lightbus-redis-venv (idempotent). Only `npm run bench` needs it.
# The pin lives in tools/lightbus-redis/version.txt; 1.3.0a6 is the release the project's reference
# describes (v1.3), and it vendors its Redis client, so it runs on Python 3.11 (1.1.x's aioredis 1
# does not).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
cd "$REPO_ROOT"

PINNED="$(tr -d '[:space:]' < tools/lightbus-redis/version.txt)"
VENV=".lightbus-redis-venv"

if ! command -v redis-server > /dev/null; then
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get > /dev/null; then
    echo "install-lightbus-redis: redis-server is not installed; install Debian's redis-server (apt-get install redis-server)" >&2
    exit 1
  fi
  echo "install-lightbus-redis: installing Debian's redis-server"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server > /dev/null
fi

installed="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("lightbus"))' 2>/dev/null || true)"
if [[ "$installed" != "$PINNED" ]]; then
  echo "install-lightbus-redis: installing lightbus $PINNED into $REPO_ROOT/$VENV (found '${installed:-none}')"
  [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check --quiet "lightbus==$PINNED"
fi
echo "install-lightbus-redis: $(redis-server --version | cut -d' ' -f1-3), lightbus $PINNED"
