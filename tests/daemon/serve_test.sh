#!/usr/bin/env bash
# `mailprobe serve` from the outside, against the lab: the API and /metrics (checked by
# promtool), soft then hard states, SIGHUP reloads (a good and a broken configuration), a
# kill -9 and a restart that restores states and history, SIGTERM, and the exit codes of a
# bad configuration and a listen address in use.
#
#   tests/daemon/serve_test.sh MAILPROBE LAB_ENV
set -uo pipefail

mailprobe=${1:?usage: serve_test.sh MAILPROBE LAB_ENV}
lab_env=${2:?usage: serve_test.sh MAILPROBE LAB_ENV}
# shellcheck disable=SC1090
source "$lab_env"
command -v promtool >/dev/null || { echo "serve_test: promtool missing (scripts/setup.sh --reference)" >&2; exit 2; }
command -v jq >/dev/null || { echo "serve_test: jq missing (scripts/setup.sh)" >&2; exit 2; }

work=$(mktemp -d /tmp/mailprobe-serve-test.XXXXXX)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/daemon/expect.sh
. "$(dirname "${BASH_SOURCE[0]}")/expect.sh"

closed_port=1
write_config() {  # write_config EXTRA_CHECK_YAML
  cat >"$work/mailprobe.yaml" <<YAML
location: test-lab
listen: 127.0.0.1:0
database: $work/data/history.sqlite
defaults: {interval: 3s, retry_interval: 1s, max_attempts: 2}
checks:
  - name: smtp
    plugin: check_smtp
    args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "2"]
    labels: {role: mx}
  - name: imaps login
    plugin: check_imap
    args: [-H, 127.0.0.1, -p, "$LAB_IMAPS_PORT", -S,
           --ca-file, $LAB_CA_FILE, --user, $LAB_RECEIVER,
           --password-file, $LAB_RECEIVER_PASSWORD_FILE, -t, "2"]
  - name: dead
    plugin: check_smtp
    args: [-H, 127.0.0.1, -p, "$closed_port", -t, "1"]
$1
YAML
}

starts=0
start() {  # each start logs to its own file; $log is the current one
  starts=$((starts + 1))
  log=$work/log.$starts
  "$mailprobe" serve -c "$work/mailprobe.yaml" 2>"$log" &
  daemon_pid=$!
  wait_for 10 grep -qs "serving" "$log" || { fail "the daemon starts"; cat "$log"; exit 1; }
  base=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -n1)
}
api() { curl -sf --max-time 5 "$base$1"; }
check_field() {  # check_field NAME FIELD: the field of one check in /api/v1/checks
  api /api/v1/checks | jq -r --arg n "$1" ".checks[] | select(.name == \$n) | .$2"
}
state_is() { [ "$(check_field "$1" state) $(check_field "$1" state_type)" = "$2" ]; }

write_config ""
start
expect "/healthz answers" test "$(api /healthz)" = ok
expect "the checks are listed with the location" \
  test "$(api /api/v1/checks | jq -r '.location + " " + (.checks | length | tostring)')" = "test-lab 3"
expect "smtp becomes OK" wait_for 10 state_is smtp "OK HARD"
expect "the IMAPS login becomes OK" wait_for 10 state_is "imaps login" "OK HARD"
# The soft state lasts one retry interval (1 s): polling could miss it on a loaded machine,
# so the history proves it came first.
expect "a dead server becomes a hard CRITICAL" wait_for 15 state_is dead "CRITICAL HARD"
expect "the hard change is logged" grep -q "HARD OK -> CRITICAL: dead: SMTP CRITICAL" "$log"
expect "the summary says why" sh -c "curl -sf '$base/api/v1/checks' | jq -r '.checks[] | select(.name==\"dead\") | .summary' | grep -q 'connection refused'"
expect "after a soft CRITICAL and its retest: the history lists both changes" \
  test "$(api '/api/v1/history' | jq -r '[.changes[] | select(.check == "dead") | .state_type] | join(",")')" = "HARD,SOFT"
expect "results of a check with a space in its name" \
  sh -c "curl -sf '$base/api/v1/checks/imaps%20login/results' | jq -e '.results | length >= 1' >/dev/null"
expect "results since a time" \
  test "$(api '/api/v1/checks/smtp/results?since=2100-01-01T00:00:00Z' | jq '.results | length')" = 0
expect "a bad since is a 400" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/checks/smtp/results?since=yesterday")" = 400
expect "the dashboard is served" sh -c "curl -sf '$base/' | grep -q '<title>'"

api /metrics >"$work/metrics"
expect "promtool accepts /metrics" promtool check metrics <"$work/metrics"
expect "probe_success of smtp is 1" \
  grep -q '^probe_success{check="smtp",plugin="check_smtp",location="test-lab",role="mx"} 1$' "$work/metrics"
expect "probe_success of dead is 0" grep -q '^probe_success{check="dead",.*} 0$' "$work/metrics"
expect "the IMAPS certificate's expiry is exported" \
  grep -q '^probe_ssl_earliest_cert_expiry{check="imaps login",' "$work/metrics"

# SIGHUP: a fourth check; then a broken file, which must not stop anything.
write_config "  - name: pop3
    plugin: check_pop
    args: [-H, 127.0.0.1, -p, \"$LAB_POP3_PORT\", -t, \"2\"]"
kill -HUP "$daemon_pid"
expect "SIGHUP reloads" wait_for 5 grep -q "reloaded: 4 checks, 0 modules" "$log"
expect "the new check runs" wait_for 10 state_is pop3 "OK HARD"
expect "a kept check keeps its state" state_is dead "CRITICAL HARD"
echo "checks: [" >"$work/mailprobe.yaml"
kill -HUP "$daemon_pid"
expect "a broken file is refused on SIGHUP" wait_for 5 grep -q "reload refused, keeping the running configuration: $work/mailprobe.yaml:" "$log"
expect "and the daemon goes on" test "$(api /api/v1/checks | jq '.checks | length')" = 4

# kill -9, then a restart: states and history come back from the database.
smtp_results=$(api /api/v1/checks/smtp/results | jq '.results | length')
kill -9 "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; daemon_pid=
write_config ""
start
expect "after kill -9, the dead check is CRITICAL HARD at once" state_is dead "CRITICAL HARD"
expect "and smtp OK, not PENDING" state_is smtp "OK HARD"
expect "the results are still there" \
  test "$(api /api/v1/checks/smtp/results | jq '.results | length')" -ge "$smtp_results"

# SIGTERM: a clean stop within the bound.
kill -TERM "$daemon_pid"
stopped=1
for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || { stopped=0; break; }; sleep 0.2; done
wait "$daemon_pid"; rc=$?; daemon_pid=
expect "SIGTERM stops it within 20 s with exit code 0" test "$stopped" = 0 -a "$rc" = 0
expect "and it says so" grep -q "mailprobe: stopped" "$log"

# Exit codes: 1 for a bad configuration (one line), 2 when it cannot listen.
printf 'checks:\n  - name: a\n    plugin: check_smtp\n    intervall: 5m\n' >"$work/bad.yaml"
"$mailprobe" serve -c "$work/bad.yaml" 2>"$work/err"; rc=$?
expect "a bad configuration exits 1" test "$rc" = 1
expect "with one line that names file, line and key" \
  test "$(cat "$work/err")" = "mailprobe serve: $work/bad.yaml:4: checks[0].intervall: unknown key (known: args, interval, labels, max_attempts, name, passive, plugin, retry_interval, timeout)"
"$mailprobe" serve -c "$work/bad.yaml" --check-config >/dev/null 2>&1
expect "--check-config says the same with exit 1" test $? = 1
write_config ""
"$mailprobe" serve -c "$work/mailprobe.yaml" --check-config >"$work/out" 2>&1
expect "--check-config accepts a good file" grep -q "valid, 3 checks" "$work/out"
busy_port=$(( ${LAB_SMTP_PORT} ))
sed -i "s/^listen: .*/listen: 127.0.0.1:$busy_port/" "$work/mailprobe.yaml"
"$mailprobe" serve -c "$work/mailprobe.yaml" 2>"$work/err"; rc=$?
expect "a listen address in use exits 2" test "$rc" = 2
expect "and says which" grep -q "127.0.0.1:$busy_port" "$work/err"

# The example configuration (examples/lab.yaml, as `lab daemon-config` adjusts it to this
# lab) works: every service check becomes OK, the expired-certificate demo CRITICAL.
# Intervals are shortened so that first runs come within seconds; the round trips keep
# theirs and are only validated.
MAILPROBE_LAB_DIR=$LAB_DIR MAILPROBE_LAB_PORT_BASE=$((LAB_SMTP_PORT - 25)) \
  "$(dirname "$0")/../lab/lab" daemon-config |
  sed -e "s|^listen: .*|listen: 127.0.0.1:0|" -e "s|^database: .*|database: $work/example.sqlite|" \
      -e "s|^  interval: 1m .*|  interval: 16s|" >"$work/mailprobe.yaml"
start
expect "the example configuration is served" \
  test "$(api /api/v1/checks | jq '.checks | length')" = 10
for name in mx submission smtps "imap login" imaps "pop3 login" queue; do
  expect "example: $name becomes OK" wait_for 25 state_is "$name" "OK HARD"
done
expect "example: the expired certificate is CRITICAL" \
  wait_for 25 sh -c "curl -sf '$base/api/v1/checks' | jq -r '.checks[] | select(.name==\"expired certificate\") | .state' | grep -qx CRITICAL"
expect "example: /probe with the submission_starttls module" \
  sh -c "curl -sf '$base/probe?module=submission_starttls&target=localhost:$LAB_SUBMISSION_PORT' | grep -qx 'probe_success 1'"
kill -TERM "$daemon_pid"; wait "$daemon_pid"; daemon_pid=

if [ "$failures" != 0 ]; then echo "--- the daemon's logs:"; cat "$work"/log.*; fi
echo "serve_test: $failures failed"
[ "$failures" = 0 ]
