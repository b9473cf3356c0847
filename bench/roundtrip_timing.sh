#!/usr/bin/env bash
# How far check_mail_roundtrip's arrival time is from the truth: for each of N round trips
# through the lab, the moment mailprobe saw the message (the SMTP 250 plus the measured
# round trip) against the moment Dovecot logged "saved mail" for it (microseconds, the
# server's own clock, same machine). Prints median and p95 for IMAP IDLE and POP3 polling.
#
#   bench/roundtrip_timing.sh BIN_DIR LAB_ENV [RUNS]
set -euo pipefail
bin_dir=${1:?usage: roundtrip_timing.sh BIN_DIR LAB_ENV [RUNS]}
lab_env=${2:?usage: roundtrip_timing.sh BIN_DIR LAB_ENV [RUNS]}
runs=${3:-40}
# shellcheck disable=SC1090
source "$lab_env"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# milliseconds since the epoch of a Dovecot log timestamp ("2026-11-22 12:24:01.091218")
log_ms() { date -u -d "$1" +%s%3N; }

measure() { # label, extra options...
  local label=$1
  shift
  local state=$work/$label.sqlite errors=$work/$label.errors
  : >"$errors"
  for _ in $(seq "$runs"); do
    "$bin_dir/check_mail_roundtrip" --smtp-host localhost --smtp-port "$LAB_SUBMISSION_PORT" \
      --smtp-user "$LAB_SENDER" --smtp-password-file "$LAB_SENDER_PASSWORD_FILE" \
      --from "$LAB_SENDER" --to "$LAB_PROBE_USER" --receive-user "$LAB_PROBE_USER" \
      --receive-password-file "$LAB_PROBE_PASSWORD_FILE" --ca-file "$LAB_CA_FILE" \
      --state-file "$state" --secret-file "$work/secret" --wait 10 "$@" >/dev/null || true
  done
  sqlite3 "$state" "SELECT id, arrived_ms FROM probes WHERE state = 'arrived'" |
    while IFS='|' read -r id arrived; do
      line=$(grep -F "msgid=<mailprobe.$id@" "$LAB_DOVECOT_LOG" | grep 'saved mail' | head -n1) || continue
      saved=$(log_ms "$(cut -c1-26 <<<"$line")")
      echo $((arrived - saved)) >>"$errors"
    done
  local n
  n=$(wc -l <"$errors")
  sort -n "$errors" | awk -v label="$label" -v n="$n" '
    { v[NR] = $1 }
    END {
      if (n == 0) { printf "%-14s no samples\n", label; exit }
      m = v[int((n + 1) / 2)]; p = v[int(n * 0.95 + 0.999)]; if (p == "") p = v[n]
      printf "%-14s %4d round trips   error median %4d ms   p95 %4d ms   min %4d   max %4d\n",
             label, n, m, p, v[1], v[n]
    }'
}

echo "lab-secret-for-timing" >"$work/secret"
echo "Seen by mailprobe minus saved by Dovecot, in milliseconds ($runs runs each):"
measure "IMAP IDLE" --receive-port "$LAB_IMAPS_PORT"
measure "POP3 polling" --receive-protocol pop3 --receive-port "$LAB_POP3S_PORT" --poll-interval 0.25
