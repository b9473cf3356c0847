#!/usr/bin/env bash
# check_email_delivery (nagios-plugins-contrib) and check_mail_roundtrip on the same lab,
# for the same delays: prompt delivery, a message held in the Postfix queue for a while,
# and one held past the end of the check (it arrives after the check gave up).
#
#   tests/compat/roundtrip_compare.sh BIN_DIR LAB_ENV
#
# Needs scripts/setup.sh --reference. Holds and releases the lab's queue.
set -uo pipefail
bin_dir=${1:?usage: roundtrip_compare.sh BIN_DIR LAB_ENV}
lab_env=${2:?usage: roundtrip_compare.sh BIN_DIR LAB_ENV}
lab=$(dirname "$0")/../lab/lab
# shellcheck disable=SC1090
source "$lab_env"
export MAILPROBE_LAB_DIR=$LAB_DIR MAILPROBE_LAB_PORT_BASE=$((LAB_SMTP_PORT - 25))
ref=/usr/lib/nagios/plugins/check_email_delivery
[ -x "$ref" ] || { echo "roundtrip_compare.sh: $ref missing (scripts/setup.sh --reference)" >&2; exit 2; }
work=$(mktemp -d)
trap '"$lab" release >/dev/null 2>&1; rm -rf "$work"' EXIT
echo "lab-compare-secret" >"$work/secret"
SENDER_PW=$(head -n1 "$LAB_SENDER_PASSWORD_FILE")
PROBE_PW=$(head -n1 "$LAB_PROBE_PASSWORD_FILE")
# Both tools trust the lab's CA through the standard variable.
export SSL_CERT_FILE=$LAB_CA_FILE

theirs() { # wait seconds for the message
  "$ref" --libexec /usr/lib/nagios/plugins --hires -w 120 -c 600 -t "$(($1 + 20))" \
    --smtp-server localhost --smtp-port "$LAB_SUBMISSION_PORT" --smtptls \
    --smtp-username "$LAB_SENDER" --smtp-password "$SENDER_PW" \
    --mailfrom "$LAB_SENDER" --mailto "$LAB_PROBE_USER" \
    --imap-server localhost --imap-port "$LAB_IMAPS_PORT" --imapssl \
    --imap-username "$LAB_PROBE_USER" --imap-password "$PROBE_PW" \
    -U "$LAB_PROBE_USER" -P "$PROBE_PW" \
    --wait "$1" --imap-check-interval 1 --imap-retries "$(($1 + 5))" 2>&1 | head -n1 | cut -d'|' -f1
}
ours() { # wait seconds
  "$bin_dir/check_mail_roundtrip" --smtp-host localhost --smtp-port "$LAB_SUBMISSION_PORT" \
    --smtp-user "$LAB_SENDER" --smtp-password-file "$LAB_SENDER_PASSWORD_FILE" \
    --from "$LAB_SENDER" --to "$LAB_PROBE_USER" --receive-user "$LAB_PROBE_USER" \
    --receive-password-file "$LAB_PROBE_PASSWORD_FILE" --receive-port "$LAB_IMAPS_PORT" \
    --ca-file "$LAB_CA_FILE" --state-file "$work/state.sqlite" --secret-file "$work/secret" \
    --wait "$1" --lost-after 60 2>&1 | sed -n '1p;/probe [0-9a-f]\{8\} arrived/p' | cut -d'|' -f1 |
    paste -sd ' '
}
held_for() { # seconds, then command...
  local seconds=$1
  shift
  "$lab" hold >/dev/null
  (sleep "$seconds"; "$lab" release >/dev/null) &
  "$@"
  wait
}

row() { printf '%-34s | %s\n' "$1" "$2"; }
echo "== prompt delivery"
row "check_email_delivery --wait 1" "$(theirs 1)"
row "check_mail_roundtrip --wait 10" "$(ours 10)"
echo "== held in the queue for 4 s"
row "check_email_delivery --wait 10" "$(held_for 4 theirs 10)"
row "check_mail_roundtrip --wait 10" "$(held_for 4 ours 10)"
echo "== held for 8 s, longer than the check waits (3 s); then the next run"
row "check_email_delivery --wait 3" "$(held_for 8 theirs 3)"
sleep 1
row "check_email_delivery next run" "$(theirs 3)"
row "check_mail_roundtrip --wait 3" "$(held_for 8 ours 3)"
sleep 1
row "check_mail_roundtrip next run" "$(ours 3)"
