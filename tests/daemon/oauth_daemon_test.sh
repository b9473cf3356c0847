#!/usr/bin/env bash
# OAuth 2.0 in the daemon, against a lab of its own whose access tokens live 10 s: checks
# logging in with tokens (IMAP, POP3, SMTP submission; three with one identity, one with
# another) every 2 s for about 30 s. Every run is OK (the API's results, /metrics), tokens
# are renewed ahead of their end (the emulator saw more than one request per identity) and
# shared in memory by the checks of one identity (far fewer requests than runs, and no more
# than one per reuse window of a token). The email channel sends a notification through
# Postfix submission with an OAuth login, with the checks' token. The daemon stops cleanly.
#
#   tests/daemon/oauth_daemon_test.sh MAILPROBE LAB_SCRIPT LAB_DIR LAB_PORT_BASE
#
# The lab is named by arguments and purged at the end (a fresh start gives its emulator the
# 10-second token lifetime). About 45 s.
set -uo pipefail

usage="usage: oauth_daemon_test.sh MAILPROBE LAB_SCRIPT LAB_DIR LAB_PORT_BASE"
mailprobe=${1:?$usage}
lab_script=${2:?$usage}
lab_dir=${3:?$usage}
lab_port_base=${4:?$usage}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in jq curl node; do
  command -v $tool >/dev/null || { echo "oauth_daemon_test: $tool missing (scripts/setup.sh)" >&2; exit 2; }
done

lifetime=10 interval=2 duration=30
lab() {
  MAILPROBE_LAB_DIR=$lab_dir MAILPROBE_LAB_PORT_BASE=$lab_port_base MAILPROBE_BIN=$mailprobe \
    MAILPROBE_LAB_OAUTH_TOKEN_LIFETIME=$lifetime timeout 120 "$lab_script" "$@"
}
work=$(mktemp -d /tmp/mailprobe-oauth-daemon-test.XXXXXX)
daemon_pid=''
cleanup() {
  [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
  lab down --purge >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/daemon/expect.sh
. "$here/expect.sh"

lab down --purge >/dev/null 2>&1
lab up >/dev/null || { echo "oauth_daemon_test: the lab does not start" >&2; exit 1; }
# shellcheck disable=SC1091
source "$lab_dir/lab.env"

# The --oauth-* options of an identity: the client secret, or the certificate.
secret=(--oauth-provider microsoft --oauth-token-url "$OAUTH_TOKEN_URL" --oauth-client-id
  "$OAUTH_CLIENT_ID" --oauth-client-secret-file "$OAUTH_CLIENT_SECRET_FILE")
certificate=(--oauth-provider microsoft --oauth-token-url "$OAUTH_TOKEN_URL" --oauth-client-id
  "$OAUTH_CERT_CLIENT_ID" --oauth-certificate "$OAUTH_CLIENT_CERT" --oauth-key "$OAUTH_CLIENT_KEY")
args() {  # args PORT OPTIONS...: a YAML list, over TLS, as the lab's OAuth user
  local port=$1 list="" arg
  shift
  for arg in -H localhost -p "$port" -S -t 1.9 --ca-file "$LAB_CA_FILE" --oauth-ca-file \
    "$LAB_CA_FILE" --user "$OAUTH_USER" "$@"; do
    list+="${list:+, }\"$arg\""
  done
  echo "[$list]"
}
oauth_checks=(imap submission pop3 "imap certificate")
cat >"$work/mailprobe.yaml" <<YAML
location: oauth-lab
listen: 127.0.0.1:0
database: $work/history.sqlite
defaults: {interval: ${interval}s, retry_interval: 1s, max_attempts: 2}
checks:
  - name: imap
    plugin: check_imap
    args: $(args "$LAB_IMAPS_PORT" "${secret[@]}")
  - name: submission
    plugin: check_smtp
    args: $(args "$LAB_SUBMISSION_PORT" "${secret[@]}")
  - name: pop3
    plugin: check_pop
    args: $(args "$LAB_POP3S_PORT" "${secret[@]}")
  - name: imap certificate
    plugin: check_imap
    args: $(args "$LAB_IMAPS_PORT" "${certificate[@]}")
  - name: dead
    plugin: check_smtp
    args: [-H, 127.0.0.1, -p, "1", -t, "1"]
notifications:
  email:
    relay: localhost:$LAB_SUBMISSION_PORT
    ca_file: $LAB_CA_FILE
    user: $OAUTH_USER
    oauth:
      provider: microsoft
      token_url: $OAUTH_TOKEN_URL
      client_id: $OAUTH_CLIENT_ID
      client_secret_file: $OAUTH_CLIENT_SECRET_FILE
      ca_file: $LAB_CA_FILE
    from: $OAUTH_USER
    to: [$LAB_RECEIVER]
YAML

expect "the configuration is valid" "$mailprobe" serve -c "$work/mailprobe.yaml" --check-config
started=$SECONDS
# Where a plugin would keep its token cache file: the daemon keeps its tokens in memory.
export STATE_DIRECTORY=$work/state
start_daemon "$mailprobe" "$work/mailprobe.yaml"

expect "the dead server is notified by email through submission with an OAuth login" \
  wait_for 20 sh -c "grep -rlsq '^Subject: \[mailprobe\] PROBLEM dead CRITICAL at oauth-lab' '$lab_dir/mail/example.test/receiver'"
expect "Postfix saw an OAUTHBEARER login of $OAUTH_USER send it" \
  grep -q "sasl_method=OAUTHBEARER, sasl_username=$OAUTH_USER" "$LAB_POSTFIX_LOG"
# shellcheck disable=SC2154 # daemon_pid: set by start_daemon
expect "the daemon logged the email as sent" grep -q "notify: email $LAB_RECEIVER: sent" "$work/daemon.log"

left=$((duration - (SECONDS - started)))
[ "$left" -gt 0 ] && sleep "$left"
elapsed=$((SECONDS - started))

# Token requests the emulator answered per client.
curl -sf --max-time 5 --cacert "$LAB_CA_FILE" "$OAUTH_URL/_test/stats" >"$work/stats.json"
requests() { jq -r --arg client "$1" '.by_client[$client] // 0' "$work/stats.json"; }
secret_requests=$(requests "$OAUTH_CLIENT_ID")
certificate_requests=$(requests "$OAUTH_CERT_CLIENT_ID")

# Each check's results: all OK, and how many fetched a token (the others took the cache's).
api() { curl -sf --max-time 10 "http://$daemon$1"; }
runs_of() { api "/api/v1/checks/${1// /%20}/results?limit=1000" | jq '.results | length'; }
not_ok() { api "/api/v1/checks/${1// /%20}/results?limit=1000" | jq '[.results[] | select(.state != "OK")] | length'; }
slowest() { api "/api/v1/checks/${1// /%20}/results?limit=1000" | jq '[.results[].duration_seconds] | max'; }
secret_runs=0
for check in "${oauth_checks[@]}"; do
  runs=$(runs_of "$check")
  expect "$check: ran at least 8 times in ${elapsed} s (got $runs; slowest $(slowest "$check") s)" \
    test "$runs" -ge 8
  expect "$check: every run OK" test "$(not_ok "$check")" = 0
  [ "$check" != "imap certificate" ] && secret_runs=$((secret_runs + runs))
done
expect "no token cache file was written" test ! -e "$work/state/oauth-tokens.json"
metrics
for check in "${oauth_checks[@]}"; do
  expect "$check: /metrics counts no failure" \
    grep -qE "^mailprobe_check_failures_total\{check=\"$check\",[^}]*\} 0$" "$work/metrics"
  expect "$check: /metrics says OK" \
    grep -qE "^mailprobe_check_state\{check=\"$check\",[^}]*\} 0$" "$work/metrics"
done
expect "the API's checks are all OK but the dead one" \
  test "$(api /api/v1/checks | jq -r '[.checks[] | select(.name != "dead" and .state != "OK")] | length')" = 0

echo "# token requests: $secret_requests (client secret, $secret_runs runs of 3 checks and the email)," \
  "$certificate_requests (certificate) in $elapsed s with ${lifetime}-second tokens"
expect "the client secret's token was renewed ($secret_requests requests)" test "$secret_requests" -ge 2
expect "the certificate's token was renewed ($certificate_requests requests)" test "$certificate_requests" -ge 2
expect "tokens are cached: at most a third as many requests as runs" \
  test $((secret_requests * 3)) -le "$secret_runs"
# A token of 10 s is reused until 3 s before its end, so the checks of one identity need
# one at most every 6 s (whole seconds), however many they are; each on its own would
# need three times as many.
expect "three checks and the email share one token at a time" \
  test "$secret_requests" -le $((elapsed / 6 + 2))
expect "a token request per identity at most every 6 s (certificate)" \
  test "$certificate_requests" -le $((elapsed / 6 + 2))

kill -TERM "$daemon_pid"
wait "$daemon_pid"
status=$?
daemon_pid=''
expect "the daemon stops cleanly (exit $status)" test "$status" = 0
expect "no sanitizer report in the daemon's log" \
  sh -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' '$work/daemon.log'"
expect "no OAuth warning in the daemon's log" sh -c "! grep -q 'OAuth' '$work/daemon.log'"

if [ "$failures" -ne 0 ]; then
  echo "--- daemon log (last lines)"
  tail -n 30 "$work/daemon.log"
  echo "oauth_daemon_test: $failures failure(s) in $SECONDS s"
  exit 1
fi
echo "oauth_daemon_test: all passed in $SECONDS s"
