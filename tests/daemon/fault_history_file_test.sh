#!/usr/bin/env bash
# A history file that cannot be used: not writable, not a database (garbage), damaged
# where the daemon reads and appends, or written by a newer mailprobe. Each is refused at
# start with one line that names the file, exit code 2, and the file left as it was
# (checksums before and after). A file from before schema versions, and the daemon's own,
# are used as they are.
#
#   tests/daemon/fault_history_file_test.sh MAILPROBE LAB_ENV PORT
set -uo pipefail

usage="usage: fault_history_file_test.sh MAILPROBE LAB_ENV PORT"
mailprobe=${1:?$usage}
lab_env=${2:?$usage}
port=${3:?$usage}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1090
source "$lab_env"
for tool in curl sqlite3 sha256sum setpriv; do
  command -v $tool >/dev/null || { echo "fault_history_file_test: $tool missing (scripts/setup.sh --reference)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/mailprobe-fault-history.XXXXXX)
chmod 755 "$work"
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
  chattr -i "$work/data/history.sqlite" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/daemon/expect.sh
. "$here/expect.sh"

db=$work/data/history.sqlite
mkdir -p "$work/data"
cat >"$work/mailprobe.yaml" <<YAML
listen: 127.0.0.1:$port
database: $db
checks:
  - {name: smtp, plugin: check_smtp, args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "2"], interval: 3s}
YAML
chmod 644 "$work/mailprobe.yaml"

# serve_briefly: the daemon on the file until it has stored a new result, then SIGTERM.
serve_briefly() {
  local since
  since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  rm -f "$db-wal" "$db-shm"
  "$mailprobe" serve -c "$work/mailprobe.yaml" 2>"$work/log" &
  daemon_pid=$!
  wait_for 10 sh -c "curl -sf 'http://127.0.0.1:$port/api/v1/checks/smtp/results?since=$since' | grep -q '\"state\":\"OK\"'"
  local rc=$?
  kill -TERM "$daemon_pid"; wait "$daemon_pid"; daemon_pid=
  return $rc
}
# refused CASE REASON [RUN_AS...]: started on the file it exits 2 at once with one line
# naming the file and the reason, and the file is unchanged.
refused() {
  local what=$1 reason=$2 before after rc
  shift 2
  before=$(sha256sum <"$db")
  timeout 10 "$@" "$mailprobe" serve -c "$work/mailprobe.yaml" 2>"$work/err" >/dev/null
  rc=$?
  after=$(sha256sum <"$db")
  expect "$what: exit code 2 (got $rc)" test "$rc" = 2
  expect "$what: one line naming the file and why ($(head -c 200 "$work/err"))" \
    test "$(wc -l <"$work/err")" = 1 -a "$(grep -cF "database $db: $reason" "$work/err")" = 1
  expect "$what: the file is left as it was" test "$before" = "$after"
}

# A history made by the daemon itself, kept as the starting point of each case.
expect "a new history is made and used" serve_briefly
expect "it carries the schema version" test "$(sqlite3 "$db" 'PRAGMA user_version')" = 1
cp "$db" "$work/good.sqlite"

# Not writable: owned by root and read-only to the daemon's user (nobody); SQLite would
# open it read-only without a word, and every result would be lost.
chmod 777 "$work/data"
chmod 644 "$db"
as_nobody=(setpriv --reuid nobody --regid nogroup --clear-groups)
if "${as_nobody[@]}" "$mailprobe" --version >/dev/null 2>&1; then
  refused "a file the daemon's user cannot write" "not writable" "${as_nobody[@]}"
else
  echo "# nobody cannot run $mailprobe (a directory on its path is closed): that case is skipped"
fi
# And for root: an immutable file (where the file system has the attribute).
if chattr +i "$db" 2>/dev/null; then
  refused "an immutable file" "not writable"
  chattr -i "$db"
else
  echo "# chattr +i is not supported on $(df --output=fstype "$work" | tail -n1): immutable case skipped"
fi

# Garbage: the whole file, then the schema and the newest rows of a real history.
head -c 65536 /dev/urandom >"$db"
refused "a file of random bytes" "file is not a database"
cp "$work/good.sqlite" "$db"
dd if=/dev/urandom of="$db" bs=4096 seek=1 count=3 conv=notrunc status=none
refused "a history whose tables' pages are garbage" "damaged: database disk image is malformed"

# Written by a newer mailprobe.
cp "$work/good.sqlite" "$db"
sqlite3 "$db" 'PRAGMA user_version = 7'
refused "a history of a newer schema" "schema version 7 is newer than this mailprobe's (1)"

# A history from before versions were kept (user_version 0) is taken over and versioned.
cp "$work/good.sqlite" "$db"
sqlite3 "$db" 'PRAGMA user_version = 0'
rows=$(sqlite3 "$db" 'SELECT count(*) FROM results')
expect "a history from before schema versions is used" serve_briefly
expect "with its results kept" test "$(sqlite3 "$db" 'SELECT count(*) FROM results')" -gt "$rows"
expect "and its version set" test "$(sqlite3 "$db" 'PRAGMA user_version')" = 1

[ "$failures" != 0 ] && cat "$work/log"
echo "fault_history_file_test: $failures failed"
[ "$failures" = 0 ]
