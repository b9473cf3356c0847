#!/usr/bin/env bash
# kill -9 of `mailprobe serve` at random moments while a dozen checks write results every
# second and notifications come and go, 50 times in a row (README: "Signals, restarts and
# the history"). After every kill: the history opens and passes PRAGMA integrity_check,
# every result the API showed more than the commit window (0.1 s, plus 1 s for a loaded
# machine) before the kill is in it, and after the restart each check's state is back
# before it runs again. At the end: each hard change was told exactly once (a repeat is
# allowed only for a kill between the delivery and its commit, which no daemon can avoid),
# none was lost.
#
#   tests/daemon/fault_kill_test.sh MAILPROBE LAB_ENV PORT [KILLS]
set -uo pipefail

usage="usage: fault_kill_test.sh MAILPROBE LAB_ENV PORT [KILLS]"
mailprobe=${1:?$usage}
lab_env=${2:?$usage}
port=${3:?$usage}
kills=${4:-50}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1090
source "$lab_env"
for tool in jq curl sqlite3 node; do
  command -v $tool >/dev/null || { echo "fault_kill_test: $tool missing (scripts/setup.sh --reference)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/mailprobe-fault-kill.XXXXXX)
daemon_pid=
flip_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
  [ -n "$flip_pid" ] && kill "$flip_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/daemon/expect.sh
. "$here/expect.sh"

# A server that listens for 6 s and is closed for 6 s, over and over: the "flip" check
# becomes a hard problem and recovers again and again while the daemon is being killed.
flip_port=$((port + 1))
node -e '
  const net = require("net");
  const port = Number(process.argv[1]);
  let server = null;
  const toggle = () => {
    if (server) { server.close(); server = null; return; }
    server = net.createServer((socket) => socket.end()).listen(port, "127.0.0.1");
  };
  toggle();
  setInterval(toggle, 6000);
  setTimeout(() => process.exit(0), 10 * 60 * 1000);
' "$flip_port" &
flip_pid=$!

# The command writes its line when it is done: a line is a delivered notification. The
# time it started and ended tell whether a kill fell inside its delivery.
cat >"$work/notify" <<SH
#!/bin/bash
started=\$EPOCHREALTIME
echo "\$MAILPROBE_EVENT \$MAILPROBE_CHECK \$MAILPROBE_STATE \$started \$EPOCHREALTIME" >>"$work/told.log"
SH
chmod +x "$work/notify"
touch "$work/told.log" "$work/kills.log"

db=$work/history.sqlite
{
  cat <<YAML
location: fault-kill
listen: 127.0.0.1:$port
database: $db
defaults: {interval: 1s, retry_interval: 1s, max_attempts: 2}
checks:
  - {name: dead, plugin: check_tcp, args: [-H, 127.0.0.1, -p, "1", -t, "0.5"]}
  - {name: flip, plugin: check_tcp, args: [-H, 127.0.0.1, -p, "$flip_port", -t, "0.5"]}
  - {name: smtp-1, plugin: check_smtp, args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "0.9"]}
  - {name: smtp-2, plugin: check_smtp, args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "0.9"]}
YAML
  for i in 1 2 3 4 5 6 7 8; do
    echo "  - {name: tcp-$i, plugin: check_tcp, args: [-H, 127.0.0.1, -p, \"$LAB_SMTP_PORT\", -t, \"0.5\"]}"
  done
  cat <<YAML
notifications:
  commands: [{command: [$work/notify], timeout: 5s}]
YAML
} >"$work/mailprobe.yaml"

base=http://127.0.0.1:$port
now_ms() { local us=${EPOCHREALTIME/./}; echo $((us / 1000)); }
start() {  # polls every 50 ms: the loop restarts the daemon 50 times
  "$mailprobe" serve -c "$work/mailprobe.yaml" 2>>"$work/daemon.log" &
  daemon_pid=$!
  local tries=200
  until curl -sf -o /dev/null --max-time 1 "$base/healthz"; do
    ((--tries > 0)) || return 1
    sleep 0.05
  done
}
# "NAME STATE TYPE LAST_RUN_MS" per check, as the API (memory) or the history (disk) has it.
api_states() {
  curl -sf --max-time 5 "$base/api/v1/checks" | jq -r '
    def ms: if . == null then 0 else (.[0:19] + "Z" | fromdateiso8601) * 1000 + (.[20:23] | tonumber) end;
    .checks[] | "\(.name) \(.state) \(.state_type) \(.last_run | ms)"'
}
db_states() {
  sqlite3 -separator ' ' "$db" "SELECT check_name,
      CASE state WHEN 0 THEN 'OK' WHEN 1 THEN 'WARNING' WHEN 2 THEN 'CRITICAL' ELSE 'UNKNOWN' END,
      CASE hard WHEN 1 THEN 'HARD' ELSE 'SOFT' END, MAX(time_ms) FROM results GROUP BY check_name"
}

integrity_failures=0 restore_failures=0 lost_failures=0 start_failures=0
asserted=0 worst_lost_ms=0
t0=$(date +%s)
for ((i = 1; i <= kills; i++)); do
  [ -f "$db" ] && db_states >"$work/before"
  if ! start; then start_failures=$((start_failures + 1)); kill -9 "$daemon_pid"; wait "$daemon_pid"; continue; fi
  # The states right after the start: as the history left them, or newer (the check has
  # run since); never PENDING, never older.
  if [ -s "$work/before" ]; then
    api_states >"$work/after-start"
    bad=$(awk 'NR == FNR { state[$1] = $2 " " $3; time[$1] = $4; next }
               ($1 in time) && ($4 < time[$1] || ($4 == time[$1] && $2 " " $3 != state[$1])) {
                 print $1 ": " $2 " " $3 " at " $4 ", the history had " state[$1] " at " time[$1] }' \
               "$work/before" "$work/after-start")
    [ -n "$bad" ] && { restore_failures=$((restore_failures + 1)); echo "# restart $i: $bad"; }
  fi
  sleep "0.$((RANDOM % 2 + 1))"
  api_states >"$work/shown"
  shown_at=$(now_ms)
  # Random moments: from at once to 1.2 s after what the API showed.
  pause=$((RANDOM % 13))
  sleep "$((pause / 10)).$((pause % 10))"
  killed_at=$(now_ms)
  echo "$killed_at" >>"$work/kills.log"
  kill -9 "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; daemon_pid=
  check=$(sqlite3 "$db" 'PRAGMA integrity_check' 2>&1)
  [ "$check" = ok ] || { integrity_failures=$((integrity_failures + 1)); echo "# kill $i: $check"; }
  # Every result shown more than 1.1 s before the kill must be stored.
  shown=$(awk '$4 > 0 { printf "%s(\x27%s\x27, %s)", sep, $1, $4; sep = ", " }' "$work/shown")
  asserted=$((asserted + $(awk -v k="$killed_at" '$4 > 0 && k - $4 > 1100' "$work/shown" | wc -l)))
  while read -r name last_ms; do
    age=$((killed_at - last_ms))
    ((age > worst_lost_ms)) && worst_lost_ms=$age
    if ((age > 1100)); then
      lost_failures=$((lost_failures + 1))
      echo "# kill $i: $name's result of $last_ms ms, shown $((killed_at - shown_at)) ms before the kill, is not stored"
    fi
  done < <(sqlite3 -separator ' ' "$db" "WITH shown(name, t) AS (VALUES $shown)
             SELECT name, t FROM shown WHERE NOT EXISTS
               (SELECT 1 FROM results WHERE check_name = name AND time_ms = t)")
done
echo "# $kills kills in $(($(date +%s) - t0)) s; results lost were at most $worst_lost_ms ms old at the kill"
expect "the daemon starts after every kill" test "$start_failures" = 0
expect "the history passes PRAGMA integrity_check after each of $kills kills" test "$integrity_failures" = 0
expect "every state is back after each restart before it runs again" test "$restore_failures" = 0
expect "no result older than 1.1 s at a kill is lost ($asserted such results checked)" \
  test "$lost_failures" = 0 -a "$asserted" -gt 0

# A last run without kills, long enough for a retest and for what was not yet told.
start || fail "the daemon starts at the end"
sleep 4
kill -TERM "$daemon_pid"; wait "$daemon_pid"; rc=$?; daemon_pid=
expect "and stops cleanly" test "$rc" = 0

# What had to be told: each hard change in the history, in order. What was told: the
# command's lines, where a repeat counts only when no kill fell between the start of the
# first delivery (less 0.2 s for the command to start) and 0.5 s after its end (the commit
# that no kill -9 can wait for).
expected() {
  sqlite3 -separator ' ' "$db" "SELECT from_state, to_state, hard FROM changes WHERE check_name = '$1' ORDER BY time_ms, id" |
    awk '$3 == 1 && $2 == 2 && hard != 2 { print "problem"; hard = 2 }
         $2 == 0 && hard == 2 { print "recovery"; hard = 0 }'
}
told() {
  awk -v check="$1" 'NR == FNR { kill[NR] = $1 / 1000; n = NR; next }
    $2 != check { next }
    $1 == last { excused = ""
                 for (k = 1; k <= n; k++)
                   if (kill[k] >= start - 0.2 && kill[k] <= end + 0.5) excused = int((kill[k] - start) * 1000)
                 if (excused != "") {
                   printf "# a repeat of %s %s: killed %d ms into a delivery of %d ms\n", $1, $2, excused,
                     (end - start) * 1000 > "/dev/stderr"
                   next
                 }
                 print $1 " (a repeat)"; next }
    { print $1; last = $1; start = $4; end = $5 }' "$work/kills.log" "$work/told.log"
}
for check in dead flip; do
  expected "$check" >"$work/expected.$check"
  told "$check" >"$work/told.$check"
  expect "$check: every hard change told exactly once ($(wc -l <"$work/expected.$check") changes)" \
    diff "$work/expected.$check" "$work/told.$check"
done
expect "the dead server's problem was told" test "$(cat "$work/expected.dead")" = problem
expect "the flip check's problems and recoveries were told" test "$(wc -l <"$work/expected.flip")" -ge 2

if [ "$failures" != 0 ]; then echo "--- told:"; cat "$work/told.log"; tail -n 30 "$work/daemon.log"; fi
echo "fault_kill_test: $failures failed"
[ "$failures" = 0 ]
