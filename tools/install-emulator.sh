#!/usr/bin/env bash
# Installs the pinned MiniStack AWS emulator into <repo>/.emulator-venv (idempotent).
# The version pin lives in tools/emulator/version.txt (also read by tools/emulator/index.ts).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$REPO_ROOT"

VERSION_FILE="tools/emulator/version.txt"
PINNED="$(tr -d '[:space:]' < "$VERSION_FILE")"
if [[ -z "$PINNED" ]]; then
  echo "install-emulator: $VERSION_FILE is empty" >&2
  exit 1
fi

VENV=".emulator-venv"
PY="$VENV/bin/python"

dist_version() {
  # Prints the installed version of a distribution, or nothing if it is absent.
  "$PY" -c "import importlib.metadata as m, sys
try:
    print(m.version(sys.argv[1]))
except m.PackageNotFoundError:
    pass" "$1" 2>/dev/null || true
}

HYPERCORN_PINNED="0.18.0"

installed=""
if [[ -x "$VENV/bin/ministack" && -x "$PY" ]]; then
  installed="$(dist_version ministack)"
fi

if [[ "$installed" == "$PINNED" ]]; then
  echo "install-emulator: ministack $PINNED already installed in $REPO_ROOT/$VENV"
else
  if [[ -n "$installed" ]]; then
    echo "install-emulator: found ministack $installed, want $PINNED; reinstalling"
  else
    echo "install-emulator: installing ministack $PINNED into $REPO_ROOT/$VENV"
  fi
  if [[ ! -x "$PY" ]]; then
    python3 -m venv "$VENV"
  fi
  # hypercorn pinned too: its TCP_NODELAY behaviour decides whether every call stalls ~44 ms.
  "$VENV/bin/pip" install --disable-pip-version-check --quiet "ministack==$PINNED" "hypercorn==$HYPERCORN_PINNED"
  installed="$(dist_version ministack)"
  if [[ "$installed" != "$PINNED" ]]; then
    echo "install-emulator: after install ministack is '${installed:-missing}', expected $PINNED" >&2
    exit 1
  fi
fi

# boto3 runs docs/examples/boto3_client.py, which test/integration/wire-format.test.ts uses to
# prove that docs/wire-format.md is enough for a Python client. Pinned; installed only if absent
# or at another version, so a second run makes no network call.
BOTO3_PINNED="1.44.5"
boto3_installed="$(dist_version boto3)"
if [[ "$boto3_installed" == "$BOTO3_PINNED" ]]; then
  echo "install-emulator: boto3 $BOTO3_PINNED already installed"
else
  echo "install-emulator: installing boto3 $BOTO3_PINNED (found '${boto3_installed:-none}')"
  "$VENV/bin/pip" install --disable-pip-version-check --quiet "boto3==$BOTO3_PINNED"
  boto3_installed="$(dist_version boto3)"
  if [[ "$boto3_installed" != "$BOTO3_PINNED" ]]; then
    echo "install-emulator: after install boto3 is '${boto3_installed:-missing}', expected $BOTO3_PINNED" >&2
    exit 1
  fi
fi

# Hypercorn < 0.17 does not set TCP_NODELAY: every kept-alive call then stalls ~44 ms
# (see the keep-alive stall in the emulator notes). The harness checks this at runtime too.
echo "install-emulator: hypercorn $(dist_version hypercorn || true)"
