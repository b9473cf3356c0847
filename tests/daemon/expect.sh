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

# start_daemon MAILPROBE CONFIG: `mailprobe serve` in the background, its log in
# $work/daemon.log, its pid in $daemon_pid and its HOST:PORT in $daemon once it serves.
# shellcheck disable=SC2154,SC2034 # $work comes from, $daemon_pid goes to the test script
start_daemon() {
  "$1" serve -c "$2" 2>"$work/daemon.log" &
  daemon_pid=$!
  wait_for 10 grep -qs serving "$work/daemon.log" || { cat "$work/daemon.log"; exit 1; }
  daemon=$(grep -o '127.0.0.1:[0-9]*' "$work/daemon.log" | head -n1)
}

# /metrics into $work/metrics, and what it holds.
metrics() { curl -sf --max-time 10 "http://$daemon/metrics" >"$work/metrics"; }
has() { grep -qF -- "$1" "$work/metrics"; }
scraped_has() { metrics && has "$1"; }
