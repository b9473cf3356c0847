#!/usr/bin/env bash
# The history's disk fills up (README: "Signals, restarts and the history"): a small tmpfs in
# a private mount namespace holds the database, and a filler file takes its last byte.
# Meanwhile the checks go on, a notification is still told, the failed writes are counted in
# mailprobe_history_write_errors_total and logged once (at most once a minute); when the
# filler is deleted, writing resumes. Needs root for the mount namespace (exit 77: skipped).
#
#   tests/daemon/fault_disk_test.sh MAILPROBE LAB_ENV PORT
set -uo pipefail

usage="usage: fault_disk_test.sh MAILPROBE LAB_ENV PORT"
if [ -z "${MAILPROBE_FAULT_DISK_NAMESPACE:-}" ]; then
  if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    echo "fault_disk_test: skipped: needs root and unshare -m (a tmpfs in a mount namespace)"
    exit 77
  fi
  # Mounts made from here on are seen by this script and its children only, and vanish
  # with them.
  MAILPROBE_FAULT_DISK_NAMESPACE=1 exec unshare -m --propagation private bash "${BASH_SOURCE[0]}" "$@"
fi
mailprobe=${1:?$usage}
lab_env=${2:?$usage}
port=${3:?$usage}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1090
source "$lab_env"
for tool in curl jq sqlite3; do
  command -v $tool >/dev/null || { echo "fault_disk_test: $tool missing (scripts/setup.sh --reference)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/mailprobe-fault-disk.XXXXXX)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
  umount "$work/disk" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/daemon/expect.sh
. "$here/expect.sh"

mkdir -p "$work/disk"
mount -t tmpfs -o size=4m,mode=0755 mailprobe-fault-disk "$work/disk" ||
  { echo "fault_disk_test: cannot mount a tmpfs" >&2; exit 1; }
db=$work/disk/history.sqlite
cat >"$work/notify" <<SH
#!/bin/sh
echo "\$MAILPROBE_EVENT \$MAILPROBE_CHECK \$MAILPROBE_STATE" >>"$work/told.log"
SH
chmod +x "$work/notify"
touch "$work/told.log"
write_config() {  # write_config [EXTRA_CHECK]
  cat >"$work/mailprobe.yaml" <<YAML
listen: 127.0.0.1:$port
database: $db
defaults: {interval: 1s, retry_interval: 1s, max_attempts: 2}
checks:
  - {name: tcp-1, plugin: check_tcp, args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "0.5"]}
  - {name: tcp-2, plugin: check_tcp, args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "0.5"]}
  - {name: smtp, plugin: check_smtp, args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "0.9"]}
$1
notifications:
  commands: [{command: [$work/notify]}]
YAML
}
write_config ""
"$mailprobe" serve -c "$work/mailprobe.yaml" 2>"$work/daemon.log" &
daemon_pid=$!
base=http://127.0.0.1:$port
metric() {  # metric NAME_AND_LABELS: its value on /metrics (0 when absent)
  curl -sf --max-time 5 "$base/metrics" | awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }'
}
write_errors() { metric mailprobe_history_write_errors_total; }
runs() { metric "mailprobe_check_runs_total{check=\"tcp-1\",plugin=\"check_tcp\",location=\"default\"}"; }
stored_since() {  # stored_since MS: results of tcp-1 in the database from then on
  sqlite3 "$db" "SELECT count(*) FROM results WHERE check_name = 'tcp-1' AND time_ms >= $1"
}
has_results() { [ "$(stored_since 0 2>/dev/null)" -gt 0 ] 2>/dev/null; }
expect "the daemon writes its history on the tmpfs" wait_for 10 has_results

# The filler takes the rest of the tmpfs.
dd if=/dev/zero of="$work/disk/filler" bs=64k status=none 2>/dev/null
expect "the disk is full" test "$(df --output=avail "$work/disk" | tail -n1 | tr -d ' ')" = 0
runs_at_full=$(runs)
errors_counted() { [ "$(write_errors)" -ge "$1" ]; }
expect "failed writes are counted" wait_for 10 errors_counted 1
# A check added now is notified while nothing can be written.
write_config "  - {name: dead, plugin: check_tcp, args: [-H, 127.0.0.1, -p, \"1\", -t, \"0.5\"]}"
kill -HUP "$daemon_pid"
expect "a problem is notified on a full disk" wait_for 15 grep -q "^problem dead CRITICAL$" "$work/told.log"
sleep 2
runs_now=$(runs)
expect "the checks go on ($runs_at_full runs at the fill, $runs_now now)" test "$runs_now" -ge $((runs_at_full + 3))
errors_while_full=$(write_errors)
expect "every failed write counts ($errors_while_full)" test "$errors_while_full" -ge 5
expect "one log line says so (at most one a minute)" \
  test "$(grep -c 'history: ' "$work/daemon.log")" = 1
expect "and why" grep -q "history: cannot .*: database or disk is full" "$work/daemon.log"
expect "the /api still answers" curl -sf --max-time 5 -o /dev/null "$base/api/v1/checks"

# Space returns.
rm "$work/disk/filler"
freed_at=$(date +%s%3N)
resumed() { [ "$(stored_since "$freed_at")" -gt 0 ]; }
expect "writing resumes when space returns" wait_for 10 resumed
sleep 1
settled=$(write_errors)
sleep 3
expect "and no more writes fail" test "$(write_errors)" = "$settled"
kill -TERM "$daemon_pid"; wait "$daemon_pid"; rc=$?; daemon_pid=
expect "the daemon stops cleanly" test "$rc" = 0
expect "the history passes PRAGMA integrity_check" test "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok
expect "the problem was told once" test "$(grep -c "^problem dead" "$work/told.log")" = 1

[ "$failures" != 0 ] && cat "$work/daemon.log"
echo "fault_disk_test: $failures failed"
[ "$failures" = 0 ]
