#!/usr/bin/env bash
# Postfix and Dovecot stopped and started under the daemon's checks and round trips, on a
# lab of its own (stopping the shared one would fail other tests): the daemon is killed
# (-9) while a round trip's probe is on its way, Dovecot is stopped while one is, then
# both servers. Each check is CRITICAL while its server is down and OK after; every probe
# the round trip sent is accounted for (arrived, late or lost), every message delivered to
# the probe mailbox was collected, and nothing is left in the mailbox or Postfix's queue.
#
#   tests/daemon/fault_servers_test.sh MAILPROBE LAB_SCRIPT LAB_DIR LAB_PORT_BASE PORT
set -uo pipefail

usage="usage: fault_servers_test.sh MAILPROBE LAB_SCRIPT LAB_DIR LAB_PORT_BASE PORT"
mailprobe=${1:?$usage}
lab_script=${2:?$usage}
lab_dir=${3:?$usage}
lab_port_base=${4:?$usage}
port=${5:?$usage}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in jq curl sqlite3 doveadm postqueue; do
  command -v $tool >/dev/null || { echo "fault_servers_test: $tool missing (scripts/setup.sh --reference)" >&2; exit 2; }
done

lab() { MAILPROBE_LAB_DIR=$lab_dir MAILPROBE_LAB_PORT_BASE=$lab_port_base MAILPROBE_BIN=$mailprobe "$lab_script" "$@"; }
work=$(mktemp -d /tmp/mailprobe-fault-servers.XXXXXX)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
  lab down --purge >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/daemon/expect.sh
. "$here/expect.sh"

lab up >/dev/null || { echo "fault_servers_test: the lab does not start" >&2; exit 1; }
# shellcheck disable=SC1091
source "$lab_dir/lab.env"

state_file=$work/roundtrip.sqlite
cat >"$work/mailprobe.yaml" <<YAML
listen: 127.0.0.1:$port
database: $work/history.sqlite
defaults: {interval: 1s, retry_interval: 1s, max_attempts: 2}
checks:
  - {name: smtp, plugin: check_smtp, args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "0.9"]}
  - name: imap
    plugin: check_imap
    args: [-H, 127.0.0.1, -p, "$LAB_IMAPS_PORT", -S, --ca-file, $LAB_CA_FILE, --user, $LAB_RECEIVER,
           --password-file, $LAB_RECEIVER_PASSWORD_FILE, -t, "0.9"]
  - name: roundtrip
    plugin: check_mail_roundtrip
    interval: 5s
    args: [--smtp-host, 127.0.0.1, --smtp-port, "$LAB_SUBMISSION_PORT", --smtp-user, $LAB_SENDER,
           --smtp-password-file, $LAB_SENDER_PASSWORD_FILE, --from, $LAB_SENDER,
           --to, $LAB_PROBE_USER, --receive-port, "$LAB_IMAPS_PORT",
           --receive-user, $LAB_PROBE_USER, --receive-password-file, $LAB_PROBE_PASSWORD_FILE,
           --ca-file, $LAB_CA_FILE, --state-file, $state_file,
           --wait, "2", -t, "4", -w, "30", -c, "60", --lost-after, "20"]
YAML

base=http://127.0.0.1:$port
start() {
  "$mailprobe" serve -c "$work/mailprobe.yaml" 2>>"$work/daemon.log" &
  daemon_pid=$!
  wait_for 10 curl -sf -o /dev/null "$base/healthz" || { fail "the daemon starts"; exit 1; }
}
states() {  # "NAME STATE TYPE" of every check, sorted by name
  curl -sf --max-time 5 "$base/api/v1/checks" | jq -r '.checks[] | "\(.name) \(.state) \(.state_type)"' | sort
}
all_are() {  # all_are "STATE TYPE" NAME...
  local want=$1 name
  shift
  for name in "$@"; do
    states | grep -qx "$name $want" || return 1
  done
}
# The id of a probe on its way (sent, not yet seen in the mailbox), once there is one.
probe_in_flight() {
  local tries=1500 id  # 15 s in steps of 10 ms: a probe is on its way for about 0.1 s
  while ((tries-- > 0)); do
    id=$(sqlite3 "$state_file" "SELECT id FROM probes WHERE state = 'pending' LIMIT 1" 2>/dev/null)
    [ -n "$id" ] && { echo "$id"; return 0; }
    sleep 0.01
  done
  return 1
}
probe_state() { sqlite3 "$state_file" "SELECT state FROM probes WHERE id = '$1'"; }
accounted() { [[ $(probe_state "$1") =~ ^(arrived|late|lost)$ ]]; }

start
expect "every check is OK to begin with" wait_for 20 all_are "OK HARD" smtp imap roundtrip

# kill -9 while a probe is on its way; the restarted daemon's next run collects it.
if id=$(probe_in_flight); then
  kill -9 "$daemon_pid"; wait "$daemon_pid" 2>/dev/null
  start
  expect "after a kill -9, the round trip is OK at once (state restored)" all_are "OK HARD" roundtrip
  expect "the probe on its way at the kill is collected by the next run" wait_for 15 accounted "$id"
  echo "# the probe on its way at the kill: $(probe_state "$id")"
else
  fail "a probe is on its way within 15 s"
fi

# Dovecot stops while a probe is on its way: Postfix keeps it queued. (Holding the queue
# first makes sure the probe is still on its way when the server stops.)
lab hold >/dev/null
id=$(probe_in_flight) || fail "a probe is on its way within 15 s"
lab stop-dovecot >/dev/null
expect "Dovecot down: IMAP is CRITICAL" wait_for 10 all_are "CRITICAL HARD" imap
expect "the round trip too" wait_for 15 all_are "CRITICAL HARD" roundtrip
expect "SMTP stays OK" all_are "OK HARD" smtp
lab up >/dev/null || fail "the lab comes back"
lab release >/dev/null
expect "Dovecot back: IMAP and the round trip are OK" wait_for 20 all_are "OK HARD" imap roundtrip
expect "the probe queued during the outage is collected" wait_for 15 accounted "${id:-none}"
echo "# the probe on its way when Dovecot stopped: $(probe_state "${id:-none}")"

# Both servers stop while a probe is on its way.
lab hold >/dev/null
id=$(probe_in_flight) || fail "a probe is on its way within 15 s"
lab down >/dev/null
expect "both down: SMTP, IMAP and the round trip are CRITICAL" \
  wait_for 15 all_are "CRITICAL HARD" smtp imap roundtrip
lab up >/dev/null || fail "the lab comes back"
lab release >/dev/null
expect "both back: every check is OK" wait_for 20 all_are "OK HARD" smtp imap roundtrip
expect "the probe on its way when both stopped is collected" wait_for 15 accounted "${id:-none}"
echo "# the probe on its way when both stopped: $(probe_state "${id:-none}")"

# The last run's own probe is collected in its run; wait for none on its way, then stop.
none_in_flight() { [ "$(sqlite3 "$state_file" "SELECT count(*) FROM probes WHERE state IN ('sending', 'pending')")" = 0 ]; }
wait_for 10 none_in_flight
kill -TERM "$daemon_pid"; wait "$daemon_pid"; rc=$?; daemon_pid=
expect "the daemon stops cleanly" test "$rc" = 0
read -r sent collected lost <<<"$(sqlite3 -separator ' ' "$state_file" "SELECT count(*),
  sum(state IN ('arrived', 'late')), sum(state = 'lost') FROM probes")"
delivered=$(grep -c "lmtp($LAB_PROBE_USER).*saved mail to INBOX" "$LAB_DOVECOT_LOG")
echo "# probes: $sent sent, $collected collected, $lost lost; $delivered delivered to the mailbox"
expect "every probe is accounted for: arrived, late or lost" test "$sent" = "$((collected + lost))"
expect "every message delivered was collected" test "$delivered" = "$collected"
left=$(doveadm -c "$LAB_DOVECOT_CONFIG" search -u "$LAB_PROBE_USER" mailbox '*' all | wc -l)
expect "nothing is left in the probe mailbox ($left messages)" test "$left" = 0
expect "nor in Postfix's queue" sh -c "postqueue -c '$LAB_POSTFIX_CONFIG_DIR' -p | grep -q 'Mail queue is empty'"

[ "$failures" != 0 ] && tail -n 40 "$work/daemon.log"
echo "fault_servers_test: $failures failed"
[ "$failures" = 0 ]
