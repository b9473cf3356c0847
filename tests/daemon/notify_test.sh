#!/usr/bin/env bash
# Notifications end to end, against a lab of its own (its Dovecot is stopped and started
# again, which the other tests must not see): a dead server is notified once by webhook,
# command and email; a passive check never; a restart does not repeat it; stopping Dovecot
# is notified within interval + retry and its return as a recovery; two daemons with a
# quorum of 2 (asking each other over HTTPS with basic auth) send one notification between
# them, none for what only one sees, and no recovery when one cannot be asked; an event
# that reaches no destination is told again.
#
#   tests/daemon/notify_test.sh MAILPROBE LAB_SCRIPT LAB_DIR LAB_PORT_BASE
set -uo pipefail

usage="usage: notify_test.sh MAILPROBE LAB_SCRIPT LAB_DIR LAB_PORT_BASE"
mailprobe=${1:?$usage}
lab_script=${2:?$usage}
lab_dir=${3:?$usage}
lab_port_base=${4:?$usage}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in jq curl node; do
  command -v $tool >/dev/null || { echo "notify_test: $tool missing (scripts/setup.sh)" >&2; exit 2; }
done

lab() { MAILPROBE_LAB_DIR=$lab_dir MAILPROBE_LAB_PORT_BASE=$lab_port_base MAILPROBE_BIN=$mailprobe "$lab_script" "$@"; }
work=$(mktemp -d /tmp/mailprobe-notify-test.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  lab down >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/daemon/expect.sh
. "$here/expect.sh"

lab up || { echo "notify_test: the lab does not start" >&2; exit 1; }
# shellcheck disable=SC1091
source "$lab_dir/lab.env"

node "$here/webhook_receiver.mjs" "$work/hook.port" "$work/hooks.jsonl" &
pids+=($!)
wait_for 10 test -s "$work/hook.port" || { echo "notify_test: no webhook receiver" >&2; exit 1; }
hook="http://127.0.0.1:$(cat "$work/hook.port")"
touch "$work/hooks.jsonl"
printf 'hook-token\n' >"$work/token"
cat >"$work/notify-command" <<SH
#!/bin/sh
echo "\$MAILPROBE_EVENT \$MAILPROBE_CHECK \$MAILPROBE_STATE \$MAILPROBE_LOCATION \$MAILPROBE_LABEL_ROLE" >>"$work/commands.log"
echo "secret=\${MAILPROBE_TEST_SECRET:-unset} path=\${PATH:+set}" >>"$work/command-env.log"
SH
# A secret in the daemon's environment (a --password-env variable, say) is not passed on.
export MAILPROBE_TEST_SECRET=hunter2
chmod +x "$work/notify-command"

# Events received: "EVENT CHECK STATE LOCATION PATH" lines.
events() { jq -r '"\(.body.event) \(.body.check) \(.body.state) \(.body.location) \(.path)"' "$work/hooks.jsonl"; }
count() { events | grep -c -- "$1"; }
has_event() { [ "$(count "$1")" -ge 1 ]; }

interval=4
retry=1
single_config() {  # single_config [without-dead]
  local dead="  - name: dead
    plugin: check_smtp
    args: [-H, 127.0.0.1, -p, \"1\", -t, \"1\"]
    labels: {role: mx}"
  [ "${1:-}" = without-dead ] && dead=""
  cat <<YAML
location: lab-a
listen: 127.0.0.1:0
database: $work/a/history.sqlite
defaults: {interval: ${interval}s, retry_interval: ${retry}s, max_attempts: 2}
checks:
  - name: imap
    plugin: check_imap
    args: [-H, 127.0.0.1, -p, "$LAB_IMAP_PORT", -t, "2"]
    labels: {role: store}
$dead
  - name: dead passive
    plugin: check_smtp
    args: [-H, 127.0.0.1, -p, "1", -t, "1"]
    passive: true
notifications:
  renotify: 6s
  webhooks:
    - url: $hook/hook
      bearer_token_file: $work/token
    - url: $hook/flaky
    - url: $hook/slow
      timeout: 15s
  commands:
    - command: [$work/notify-command]
  email:
    relay: 127.0.0.1:$LAB_SUBMISSION_PORT
    ca_file: $LAB_CA_FILE
    user: $LAB_SENDER
    password_file: $LAB_SENDER_PASSWORD_FILE
    from: $LAB_SENDER
    to: [$LAB_RECEIVER]
YAML
}

start() {  # start NAME CONFIG_FILE: sets base_NAME and pid_NAME
  local name=$1 config=$2 log=$work/$1.log.$RANDOM
  "$mailprobe" serve -c "$config" 2>"$log" &
  pids+=($!)
  eval "pid_$name=$!; log_$name=$log"
  wait_for 10 grep -qs "serving" "$log" || { fail "daemon $name starts"; cat "$log"; exit 1; }
  eval "base_$name=$(grep -o 'https*://127.0.0.1:[0-9]*' "$log" | head -n1)"
}
stop() {  # stop NAME: SIGTERM and wait
  local pid
  eval "pid=\$pid_$1"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null
}

mkdir -p "$work/a"
single_config >"$work/a.yaml"
start a "$work/a.yaml"
# shellcheck disable=SC2154
expect "the relay being a checked server is warned about" \
  grep -q "warning: notifications.email.relay 127.0.0.1:$LAB_SUBMISSION_PORT is a server that the checks test" "$log_a"

expect "a dead server is notified by webhook" wait_for 20 has_event "problem dead CRITICAL lab-a /hook"
expect "with the bearer token" \
  test "$(jq -r 'select(.path == "/hook") | .authorization' "$work/hooks.jsonl" | sort -u)" = "Bearer hook-token"
expect "as JSON" test "$(jq -r 'select(.path == "/hook") | .content_type' "$work/hooks.jsonl" | sort -u)" = "application/json"
expect "by the command, with the event in its environment" \
  wait_for 10 grep -q "^problem dead CRITICAL lab-a mx$" "$work/commands.log"
expect "and PATH, but not the daemon's other variables" \
  test "$(sort -u "$work/command-env.log")" = "secret=unset path=set"
expect "by email through the relay" \
  wait_for 20 sh -c "grep -rlsq '^Subject: \[mailprobe\] PROBLEM dead CRITICAL at lab-a' '$lab_dir/mail/example.test/receiver'"
expect "a webhook that fails once gets the event on a retry" wait_for 15 has_event "problem dead CRITICAL lab-a /flaky"
# shellcheck disable=SC2154
expect "the failed attempt is logged (the URL without its path)" \
  grep -q "notify: webhook $hook/…: attempt 1 of 3 failed: HTTP 500" "$log_a"
expect "the webhook's path is in no log line" sh -c "! grep -q '/flaky' '$log_a'"
# shellcheck disable=SC2154
expect "the API says it is notified" \
  test "$(curl -sf "$base_a/api/v1/checks" | jq -r '.checks[] | select(.name == "dead") | .notified')" = true
# shellcheck disable=SC2154
expect "/metrics counts the deliveries" \
  sh -c "curl -sf '$base_a/metrics' | grep -q '^mailprobe_notifications_total{channel=\"webhook\",result=\"sent\"} [1-9]'"
sleep $((2 * interval + retry))
expect "told once, not at every result" test "$(count "problem dead CRITICAL lab-a /hook")" = 1
expect "reminded while it lasts (renotify 6 s)" has_event "reminder dead CRITICAL lab-a /hook"
expect "a passive check is never notified" test "$(count "dead passive")" = 0

# A restart must not repeat what was told.
stop a
start a "$work/a.yaml"
sleep $((2 * interval + retry))
expect "after a restart, still told once" test "$(count "problem dead CRITICAL lab-a /hook")" = 1

# A notified check removed by a reload is forgotten, with a word in the log.
single_config without-dead >"$work/a.yaml"
# shellcheck disable=SC2154
kill -HUP "$pid_a"
expect "a removed notified check is forgotten" \
  wait_for 5 grep -q "notify: dead is no longer configured" "$log_a"
expect "and gets no recovery" test "$(count "recovery dead")" = 0

# The outage: Dovecot stops; the problem is told within interval + retry (plus the runs).
expect "imap is OK before the outage" test "$(count "imap")" = 0
stopped_at=$(date +%s.%N)
lab stop-dovecot >/dev/null
expect "stopping Dovecot is notified within interval + retry" \
  wait_for $((interval + retry + 5)) has_event "problem imap CRITICAL lab-a /hook"
told_at=$(jq -r 'select(.body.event == "problem" and .body.check == "imap" and .path == "/hook") | .time' "$work/hooks.jsonl" | head -n1)
echo "#    told $(awk -v a="${told_at:-0}" -v b="$stopped_at" 'BEGIN { printf "%.1f", a - b }') s after Dovecot stopped (interval ${interval} s, retry ${retry} s)"
lab up >/dev/null || fail "the lab comes back"
expect "its return is notified as a recovery" wait_for $((interval + 5)) has_event "recovery imap OK lab-a /hook"
expect "the command hears of the recovery too" wait_for 10 grep -q "^recovery imap OK lab-a store$" "$work/commands.log"
# The slow webhook holds the problem 8 s: the recovery, ready meanwhile, waits its turn.
expect "a webhook gets the recovery after the problem it is slow to take" \
  wait_for 20 has_event "recovery imap OK lab-a /slow"
expect "in that order" test "$(events | grep ' imap .* /slow$' | cut -d' ' -f1 | paste -sd,)" = "problem,recovery"
stop a

# A webhook that refuses every attempt of the first event (attempts at once, after 5 s and
# 30 s): the problem is not taken as told, and the next result tells it again. It runs
# beside the quorum test below.
mkdir -p "$work/c"
cat >"$work/c.yaml" <<YAML
location: lab-c
listen: 127.0.0.1:0
database: $work/c/history.sqlite
defaults: {interval: ${interval}s, retry_interval: ${retry}s, max_attempts: 2}
checks:
  - name: dead
    plugin: check_smtp
    args: [-H, 127.0.0.1, -p, "1", -t, "1"]
notifications:
  webhooks: [{url: "$hook/refuse"}]
YAML
start c "$work/c.yaml"

# Two locations, quorum 2, asking each other over HTTPS with basic auth: "both" fails at
# both (one notification, from the first by name), "one" only at qa (none).
printf 'peer-password\n' >"$work/peer.password"
quorum_config() {  # quorum_config LOCATION ONE_PORT OWN_PORT PEER_PORT
  cat <<YAML
location: $1
listen: 127.0.0.1:$3
database: $work/$1/history.sqlite
http:
  tls_cert_file: $lab_dir/certs/server.pem
  tls_key_file: $lab_dir/certs/server.key
  users: [{name: peer, password_file: $work/peer.password}]
defaults: {interval: 3s, retry_interval: 1s, max_attempts: 2}
checks:
  - name: both
    plugin: check_smtp
    args: [-H, 127.0.0.1, -p, "1", -t, "1"]
  - name: one
    plugin: check_smtp
    args: [-H, 127.0.0.1, -p, "$2", -t, "1"]
notifications:
  webhooks: [{url: "$hook/quorum"}]
  peers: [https://localhost:$4]
  peer_ca_file: $LAB_CA_FILE
  peer_user: peer
  peer_password_file: $work/peer.password
  quorum: 2
  peer_timeout: 2s
YAML
}
# Each daemon must know the other's port before it starts: two free ports first.
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port_a=$(free_port); port_b=$(free_port)
mkdir -p "$work/qa" "$work/qb"
quorum_config qa 1 "$port_a" "$port_b" >"$work/qa.yaml"
quorum_config qb "$LAB_SMTP_PORT" "$port_b" "$port_a" >"$work/qb.yaml"
start qa "$work/qa.yaml"
start qb "$work/qb.yaml"
# shellcheck disable=SC2154
expect "the daemon serves HTTPS" test "$base_qa" = "https://127.0.0.1:$port_a"
status_of() { curl -s -o /dev/null -w '%{http_code}' --cacert "$LAB_CA_FILE" "$@"; }
expect "without credentials: 401" test "$(status_of "https://localhost:$port_a/api/v1/checks")" = 401
expect "with a wrong password: 401" \
  test "$(status_of -u peer:wrong "https://localhost:$port_a/api/v1/checks")" = 401
expect "/healthz needs no login" test "$(status_of "https://localhost:$port_a/healthz")" = 200
expect "with the password: 200 (read from a curl config, not argv)" \
  test "$(printf 'user = "peer:peer-password"\n' | status_of -K - "https://localhost:$port_a/api/v1/checks")" = 200
expect "two locations that see a problem send one notification" \
  wait_for 30 has_event "problem both CRITICAL qa /quorum"
sleep 10
expect "and only one" test "$(count "problem both CRITICAL")" = 1
expect "a problem only one location sees is not notified" test "$(count " one ")" = 0
# shellcheck disable=SC2154
expect "no peer trouble in the logs" sh -c "! grep -h 'notify: peer' '$log_qa' '$log_qb'"
# qb goes away (a network split, a stopped daemon): for qa the problem may still have its
# quorum; no recovery. qb back, seeing it too: no second problem.
stop qb
sleep 8
expect "a peer that cannot be asked is no recovery" test "$(count "recovery both")" = 0
expect "qa says it cannot ask qb" grep -q "notify: peer https://localhost:$port_b: " "$log_qa"
start qb "$work/qb.yaml"
sleep 8
expect "qb answers again: no second problem, still no recovery" \
  test "$(count "problem both CRITICAL") $(count "recovery both")" = "1 0"
stop qa
stop qb

# shellcheck disable=SC2154
expect "a problem that reached no destination is logged as such" \
  wait_for 40 grep -q "notify: the problem of dead reached no destination" "$log_c"
expect "and told again after the next result" wait_for 15 has_event "problem dead CRITICAL lab-c /refuse"
# shellcheck disable=SC2154
expect "once it is delivered, the API says it is notified" \
  test "$(curl -sf "$base_c/api/v1/checks" | jq -r '.checks[] | select(.name == "dead") | .notified')" = true
stop c

echo
if ((failures)); then
  echo "notify_test: $failures failed"
  echo "--- hooks"; cat "$work/hooks.jsonl"
  for log in "$work"/*.log.*; do echo "--- $log"; tail -n 40 "$log"; done
  exit 1
fi
echo "notify_test: all passed"
