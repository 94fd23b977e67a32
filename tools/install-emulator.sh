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
# boto3 runs docs/examples/boto3_client.py, which test/integration/wire-format.test.ts uses to
# prove that docs/wire-format.md is enough for a Python client. It must match the botocore that
# ministack's wheel pins (ministack 1.5.33 pins botocore==1.43.106; boto3 1.44.x conflicts):
# `pip install ministack==<pin> boto3` resolves it. Bump the two together.
BOTO3_PINNED="1.43.106"

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
  # boto3 in the same resolution: ministack's wheel pins botocore exactly (1.5.33: botocore
  # 1.43.106), so a boto3 needing another botocore would break the emulator's own install.
  "$VENV/bin/pip" install --disable-pip-version-check --quiet "ministack==$PINNED" "hypercorn==$HYPERCORN_PINNED" "boto3==$BOTO3_PINNED"
  installed="$(dist_version ministack)"
  if [[ "$installed" != "$PINNED" ]]; then
    echo "install-emulator: after install ministack is '${installed:-missing}', expected $PINNED" >&2
    exit 1
  fi
fi

# boto3: installed with ministack above; re-checked here so a venv made by an older script (boto3
# at another version) is corrected. A second run makes no network call.
boto3_installed="$(dist_version boto3)"
if [[ "$boto3_installed" == "$BOTO3_PINNED" ]]; then
  echo "install-emulator: boto3 $BOTO3_PINNED already installed"
else
  echo "install-emulator: installing boto3 $BOTO3_PINNED (found '${boto3_installed:-none}')"
  "$VENV/bin/pip" install --disable-pip-version-check --quiet "ministack==$PINNED" "boto3==$BOTO3_PINNED"
  boto3_installed="$(dist_version boto3)"
  if [[ "$boto3_installed" != "$BOTO3_PINNED" ]]; then
    echo "install-emulator: after install boto3 is '${boto3_installed:-missing}', expected $BOTO3_PINNED" >&2
    exit 1
  fi
fi

# Hypercorn < 0.17 does not set TCP_NODELAY: every kept-alive call then stalls ~44 ms
# (see the keep-alive stall in the emulator notes). The harness checks this at runtime too.
echo "install-emulator: hypercorn $(dist_version hypercorn || true)"
# Fails if anything in the venv conflicts (e.g. boto3 wanting another botocore than ministack pins).
"$VENV/bin/pip" check --disable-pip-version-check
