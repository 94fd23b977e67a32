#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's Chromium through playwright-core (no browser
# download: this machine has no internet, only Debian's and npm's registries). Prints the path of
# the browser binary on stdout; everything else goes to stderr.
set -euo pipefail
browser=${LIGHTBUS_BROWSER:-/usr/bin/chromium}
if [ ! -x "$browser" ]; then
  echo "== installing Debian's chromium for the browser tests" >&2
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
fi
"$browser" --version >&2
echo "$browser"
