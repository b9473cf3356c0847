#!/usr/bin/env bash
# Builds the dashboard (web/) and tests it in Debian's chromium, headless, against a
# fixture server on 127.0.0.1. Idempotent; installs chromium with apt-get when missing.
#   SCREENSHOT_PATH  where the test saves its screenshot (default <tmpdir>/dashboard.png)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
chromium=${CHROMIUM:-/usr/bin/chromium}

if [[ ! -x $chromium && $chromium == /usr/bin/chromium ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "run.sh: $chromium is missing and installing it needs root: apt-get install -y chromium" >&2
    exit 1
  fi
  echo "run.sh: installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
fi
if [[ ! -x $chromium ]]; then
  echo "run.sh: no browser at $chromium" >&2
  exit 1
fi

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( major < 20 )); then
  echo "run.sh: Node.js 20 or later is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

npm_ci() { npm ci --prefix "$1" --no-audit --no-fund --loglevel=error >/dev/null; }
npm_ci web
npm_ci tests/web

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node web/build.mjs "$out/web" >/dev/null
CHROMIUM=$chromium DASHBOARD_DIR="$out/web" timeout 60 node --test tests/web/dashboard.test.mjs
