#!/usr/bin/env bash
# Three faults around the daemon's one event loop (README: "Signals, restarts and the
# history"):
#   - a webhook that accepts the connection and never answers, and a notification command
#     that never exits (nor does its child): each attempt ends at its timeout, the command's
#     process group is killed, and the checks keep their schedule meanwhile;
#   - the wall clock stepped forward an hour and back again (libfaketime, offset read from
#     a file): runs keep their 1 s spacing and durations stay true; the history's
#     timestamps are the wall clock's;
#   - 100 SIGHUPs with configurations that fail validation, under load: the running
#     configuration goes on, and descriptors and memory do not grow (and LeakSanitizer,
#     in the sanitized build, finds nothing at exit).
#
#   tests/daemon/fault_hang_clock_reload_test.sh MAILPROBE LAB_ENV PORT   (uses PORT..PORT+3)
set -uo pipefail

usage="usage: fault_hang_clock_reload_test.sh MAILPROBE LAB_ENV PORT"
mailprobe=${1:?$usage}
lab_env=${2:?$usage}
port=${3:?$usage}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1090
source "$lab_env"
for tool in curl jq sqlite3 node; do
  command -v $tool >/dev/null || { echo "fault_hang_clock_reload_test: $tool missing (scripts/setup.sh --reference)" >&2; exit 2; }
done
faketime_lib=$(find /usr/lib -path '*/faketime/libfaketimeMT.so.1' -print -quit 2>/dev/null)
[ -n "$faketime_lib" ] || { echo "fault_hang_clock_reload_test: libfaketime missing (scripts/setup.sh --reference)" >&2; exit 2; }

work=$(mktemp -d /tmp/mailprobe-fault-hcr.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  pkill -9 -f "$work/hang-child" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/daemon/expect.sh
. "$here/expect.sh"

now_ms() { local us=${EPOCHREALTIME/./}; echo $((us / 1000)); }
# config NAME PORT MORE_YAML: NAME.yaml, for a daemon on PORT with 1 s checks: tick and more.
config() {
  cat >"$work/$1.yaml" <<YAML
listen: 127.0.0.1:$2
database: $work/$1.sqlite
defaults: {interval: 1s, retry_interval: 1s, max_attempts: 2}
checks:
  - {name: tick, plugin: check_tcp, args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "0.5"]}
$3
YAML
}
start() {  # start NAME PORT [ENV...]: the daemon on NAME.yaml; its pid in $daemon_pid
  local name=$1 on=$2
  shift 2
  env "$@" "$mailprobe" serve -c "$work/$name.yaml" 2>"$work/$name.log" &
  daemon_pid=$!
  pids+=("$daemon_pid")
  wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$on/healthz" || { fail "daemon $name starts"; cat "$work/$name.log"; exit 1; }
}
# tick_lags NAME PORT FROM_MS TO_MS: how late (ms) each run of tick began in that time,
# against its grid (every second, at the offset within the second that its next_run shows).
tick_lags() {
  local offset
  offset=$(curl -sf "http://127.0.0.1:$2/api/v1/checks" | jq -r '.checks[] | select(.name == "tick") | .next_run' |
    sed -E 's/.*\.([0-9]{3})Z$/\1/')
  # A result's time is its end, to the millisecond below: a run on time can seem up to a
  # millisecond early, so lags are taken in [-100, 900) ms.
  sqlite3 "$work/$1.sqlite" "SELECT ((time_ms - CAST(round(duration * 1000) AS INTEGER) - $((10#$offset))) % 1000 + 1100) % 1000 - 100
    FROM results WHERE check_name = 'tick' AND time_ms BETWEEN $3 AND $4"
}

# --- A webhook and a command that hang --------------------------------------------------
node -e '
  const fs = require("fs");
  const server = require("net").createServer(() => {}).listen(Number(process.argv[1]), "127.0.0.1",
    () => fs.writeFileSync(process.argv[2], "listening"));
  setTimeout(() => process.exit(0), 5 * 60 * 1000);
' "$((port + 1))" "$work/hook.ready" &
pids+=($!)
wait_for 10 test -s "$work/hook.ready" || { echo "fault_hang_clock_reload_test: no hanging webhook" >&2; exit 1; }
cp "$(command -v sleep)" "$work/hang-child"
cat >"$work/hang" <<SH
#!/bin/sh
# Ignores SIGTERM and waits for a child that holds its output open.
trap '' TERM
"$work/hang-child" 300 &
wait
SH
chmod +x "$work/hang"
config hang "$port" "  - {name: dead, plugin: check_tcp, args: [-H, 127.0.0.1, -p, \"1\", -t, \"0.5\"]}
notifications:
  webhooks: [{url: \"http://127.0.0.1:$((port + 1))/hook\", timeout: 2s}]
  commands: [{command: [$work/hang], timeout: 2s}]"
start hang "$port"
log=$work/hang.log
expect "the dead server becomes a hard problem" wait_for 15 grep -q "HARD OK -> CRITICAL: dead" "$log"
told_at=$(now_ms)
expect "the silent webhook's first attempt ends at its timeout" \
  wait_for 5 grep -q "notify: webhook http://127.0.0.1:$((port + 1))/…: attempt 1 of 3 failed: timeout after 2.0 s" "$log"
expect "the endless command's first attempt too" \
  wait_for 5 grep -q "notify: command $work/hang: attempt 1 of 3 failed: timeout after 2.0 s" "$log"
first_ended=$(($(now_ms) - told_at))
expect "both within 2 s and a margin ($first_ended ms after the problem was seen)" test "$first_ended" -lt 3500
gone() { ! pgrep -f "$work/hang-child" >/dev/null; }
expect "the command and its child are killed" wait_for 3 gone
# The second attempts come 5 s later and hang 2 s more: the scheduler meanwhile.
expect "the second attempts end at their timeouts too" \
  wait_for 12 sh -c "[ \$(grep -c 'attempt 2 of 3 failed: timeout after 2.0 s' '$log') = 2 ]"
hung_until=$(now_ms)
mapfile -t lags < <(tick_lags hang "$port" "$told_at" "$hung_until" | sort -n)
count=${#lags[@]}
span=$(((hung_until - told_at) / 1000))
echo "# tick's lag over ${span} s of hanging deliveries: median ${lags[count / 2]:-?} ms, max ${lags[count - 1]:-?} ms ($count runs)"
expect "tick ran every second meanwhile ($count runs in ${span} s)" test "$count" -ge $((span - 1))
expect "its median lag stays under 100 ms" test "${lags[count / 2]:-1000}" -lt 100
expect "and none lost its slot (a blocked loop would skip runs)" test "${lags[count - 1]:-1000}" -lt 900
kill -9 "$daemon_pid"; wait "$daemon_pid" 2>/dev/null

# --- The wall clock stepped forward an hour, and back -----------------------------------
# libfaketime fakes the wall clock only (not CLOCK_MONOTONIC), with the offset read from
# a file at most a second old. ASan must then accept a library loaded before it.
echo "+0" >"$work/clock-offset"
config clock "$((port + 2))" "  - {name: retest, plugin: check_tcp, args: [-H, 127.0.0.1, -p, \"1\", -t, \"0.5\"], max_attempts: 10}"
started_at=$(now_ms)
start clock "$((port + 2))" LD_PRELOAD="$faketime_lib" FAKETIME_TIMESTAMP_FILE="$work/clock-offset" \
  FAKETIME_CACHE_DURATION=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
# Stepped back while retest is still soft (its tenth result would make it hard).
sleep 3
echo "+3600" >"$work/clock-offset"
# Five seconds an hour ahead: libfaketime rereads the offset within a second, and at least
# three runs of tick must fall in the window even on a loaded machine.
sleep 5
echo "+0" >"$work/clock-offset"
sleep 5
kill -TERM "$daemon_pid"; wait "$daemon_pid"; daemon_pid=
elapsed=$((($(now_ms) - started_at) / 1000))
db=$work/clock.sqlite
# Between consecutive runs of tick: one step of +1 h and one of -1 h (each within a
# second and a half), every other spacing about a second (at most one slot missed). The
# first run is not on the grid (new checks are spread over their first interval).
spacing=$(sqlite3 "$db" "SELECT time_ms FROM results WHERE check_name = 'tick' ORDER BY id" |
  awk 'NR > 2 { d = $1 - last
         if (d > 3598500 && d < 3601500) forward++
         else if (d < -3598500 && d > -3601500) back++
         else if (d < 500 || d > 2500) odd++ }
       { last = $1 } END { printf "%d %d %d %d", forward, back, odd, NR }')
read -r forward back odd runs <<<"$spacing"
echo "# clock: $runs runs of tick in $elapsed s; steps +1 h: $forward, -1 h: $back; other spacings off 1 s: $odd"
expect "the step forward is one spacing of an hour and a second" test "$forward" = 1
expect "the step back is one of minus an hour and a second" test "$back" = 1
expect "every other run came a second after the last" test "$odd" = 0
expect "no run was missed for the steps ($runs runs in $elapsed s)" test "$runs" -ge $((elapsed - 3))
expect "the history's times are the wall clock's: an hour ahead while it was" \
  test "$(sqlite3 "$db" "SELECT count(*) FROM results WHERE check_name = 'tick' AND time_ms > $started_at + 3590000")" -ge 3
expect "durations stay true (none negative, none near an hour)" \
  test "$(sqlite3 "$db" "SELECT count(*) FROM results WHERE duration < 0 OR duration > 2")" = 0
expect "a soft problem is retested every second after the step back too" \
  test "$(sqlite3 "$db" "SELECT count(*) FROM results WHERE check_name = 'retest' AND time_ms < $started_at + 3590000 AND id > (SELECT max(id) FROM results WHERE time_ms > $started_at + 3590000)")" -ge 3

# --- 100 SIGHUPs with a broken configuration, under load ---------------------------------
reload_port=$((port + 3))
checks=""
for i in $(seq 1 20); do
  checks+="  - {name: load-$i, plugin: check_tcp, args: [-H, 127.0.0.1, -p, \"$LAB_SMTP_PORT\", -t, \"0.5\"]}"$'\n'
done
config reload "$reload_port" "$checks"
cp "$work/reload.yaml" "$work/reload.good"
# Broken in different places: YAML, an unknown key, a missing password file, an interval
# shorter than the timeout, a webhook's missing token file.
broken=(
  "checks: ["
  "$(sed 's/defaults:/defaultz:/' "$work/reload.good")"
  "$(cat "$work/reload.good"; echo "  - {name: login, plugin: check_imap, args: [-H, 127.0.0.1, --user, x, --password-file, $work/none]}")"
  "$(cat "$work/reload.good"; echo "  - {name: slow, plugin: check_tcp, args: [-H, 127.0.0.1, -p, \"1\", -t, \"5\"], interval: 2s}")"
  "$(cat "$work/reload.good"; printf 'notifications:\n  webhooks: [{url: "http://127.0.0.1:1/", bearer_token_file: %s}]\n' "$work/none")"
)
# The quarantine of ASan holds freed memory back for reuse checks: without it, resident
# memory measures what is kept, not what was freed lately. (Other builds ignore this.)
start reload "$reload_port" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
pid=$daemon_pid
api_names() { curl -sf "http://127.0.0.1:$reload_port/api/v1/checks" | jq -r '[.checks[].name] | sort | join(",")'; }
refusals() { grep -c "reload refused, keeping the running configuration: $work/reload.yaml" "$work/reload.log"; }
reload_broken() {  # reload_broken N: the Nth broken file, SIGHUP, and its refusal in the log
  local before
  before=$(refusals)
  printf '%s\n' "${broken[$(($1 % ${#broken[@]}))]}" >"$work/reload.yaml"
  kill -HUP "$pid"
  local tries=250  # 5 s, in steps of 20 ms: a reload takes a few
  until [ "$(refusals)" -gt "$before" ]; do
    ((--tries > 0)) || return 1
    sleep 0.02
  done
}
fds() {  # the fewest descriptors over five looks (the checks' sockets come and go)
  for _ in 1 2 3 4 5; do find "/proc/$pid/fd" -mindepth 1 | wc -l; sleep 0.1; done | sort -n | head -n1
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
sleep 3
# First uses of every path (caches, the allocator's pools): what is measured is what 100
# more add.
for i in $(seq 1 20); do reload_broken "$i"; done
names_before=$(api_names)
fds_before=$(fds)
rss_before=$(rss_kb)
runs_before=$(sqlite3 "$work/reload.sqlite" "SELECT count(*) FROM results WHERE check_name = 'load-1'")
refused_ok=0
reload_started=$(now_ms)
for i in $(seq 1 100); do reload_broken "$i" && refused_ok=$((refused_ok + 1)); done
reload_took=$(($(now_ms) - reload_started))
sleep 2
fds_after=$(fds)
rss_after=$(rss_kb)
echo "# 100 refused reloads in $reload_took ms: descriptors $fds_before -> $fds_after, VmRSS $rss_before -> $rss_after kB"
expect "each of 100 broken files is refused" test "$refused_ok" = 100
expect "the API lists the same 21 checks" test "$(api_names)" = "$names_before" -a "$(echo "$names_before" | tr , '\n' | wc -l)" = 21
expect "the checks still run" \
  test "$(sqlite3 "$work/reload.sqlite" "SELECT count(*) FROM results WHERE check_name = 'load-1'")" -gt "$((runs_before + reload_took / 1000 - 2))"
expect "no descriptor leaks (at most 3 more)" test "$fds_after" -le $((fds_before + 3))
expect "resident memory grows by less than 4 MB" test "$rss_after" -lt $((rss_before + 4096))
cp "$work/reload.good" "$work/reload.yaml"
kill -TERM "$pid"; wait "$pid"; rc=$?
expect "the daemon then stops cleanly (exit 0: nothing for LeakSanitizer either)" test "$rc" = 0
expect "and its log has no sanitizer report" sh -c "! grep -q 'Sanitizer' '$work/reload.log'"

if [ "$failures" != 0 ]; then for f in "$work"/*.log; do echo "--- $f"; tail -n 20 "$f"; done; fi
echo "fault_hang_clock_reload_test: $failures failed"
[ "$failures" = 0 ]
