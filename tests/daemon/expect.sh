# Sourced by the daemon's shell tests: TAP-like results and bounded polling.
# shellcheck shell=bash

failures=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }
expect() {  # expect DESCRIPTION COMMAND...: passes when COMMAND succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
wait_for() {  # wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s, at most SECONDS
  local tries=$(($1 * 5)); shift
  while ((tries-- > 0)); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}
