#!/usr/bin/env bash
# Installs what is needed, builds, and runs the daemon (`mailprobe serve`) until Ctrl-C.
#
#   scripts/run.sh              the local lab mail server (real Postfix and Dovecot on
#                               127.0.0.1 high ports) is started, each plugin is run against
#                               it once, and the daemon serves examples/lab.yaml
#   scripts/run.sh CONFIG       the daemon serves CONFIG (no lab)
#
# Run as root on Debian 12. The lab keeps running afterwards: `tests/lab/lab down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target mailprobe
if [ $# -ge 1 ]; then
  exec build/src/cli/mailprobe serve -c "$1"
fi
# The lab's reflector@ address is answered by this build's `mailprobe reflect`.
MAILPROBE_BIN=$PWD/build/src/cli/mailprobe tests/lab/lab up
# shellcheck disable=SC1091
source "${MAILPROBE_LAB_DIR:-/tmp/mailprobe-lab}/lab.env"

bin=build/src/cli
run() {
  echo "\$ ${*/#$bin\//}"
  "$@" || true
  echo
}
run $bin/check_smtp -H localhost -p "$LAB_SMTP_PORT" -f "$LAB_SENDER" -C "RCPT TO:<$LAB_RECEIVER>" -R 250
run $bin/check_smtp -H localhost -p "$LAB_SUBMISSION_PORT" -S --ca-file "$LAB_CA_FILE" -D 30,14 -U "$LAB_SENDER" --password-file "$LAB_SENDER_PASSWORD_FILE"
run $bin/check_ssmtp -H localhost -p "$LAB_SMTPS_PORT" --ca-file "$LAB_CA_FILE"
run $bin/check_imap -H localhost -p "$LAB_IMAP_PORT" --starttls --ca-file "$LAB_CA_FILE" --user "$LAB_RECEIVER" --password-file "$LAB_RECEIVER_PASSWORD_FILE"
run $bin/check_simap -H localhost -p "$LAB_IMAPS_PORT" --ca-file "$LAB_CA_FILE" -D 30,14
run $bin/check_pop -H localhost -p "$LAB_POP3_PORT" --starttls --ca-file "$LAB_CA_FILE" --user "$LAB_RECEIVER" --password-file "$LAB_RECEIVER_PASSWORD_FILE"
run $bin/check_spop -H "$LAB_EXPIRED_HOST" -p "$LAB_POP3S_PORT" --ca-file "$LAB_CA_FILE"
run $bin/check_mailq -M postfix -d "$LAB_POSTFIX_CONFIG_DIR" -w 10 -c 50
roundtrip=(--smtp-host localhost --smtp-port "$LAB_SUBMISSION_PORT" --smtp-user "$LAB_SENDER"
  --smtp-password-file "$LAB_SENDER_PASSWORD_FILE" --from "$LAB_SENDER" --ca-file "$LAB_CA_FILE"
  --receive-port "$LAB_IMAPS_PORT" --state-file "$LAB_DIR/roundtrip.sqlite" --wait 10)
run $bin/check_mail_roundtrip "${roundtrip[@]}" --to "$LAB_PROBE_USER" \
  --receive-user "$LAB_PROBE_USER" --receive-password-file "$LAB_PROBE_PASSWORD_FILE"
run $bin/check_mail_roundtrip "${roundtrip[@]}" --to "$LAB_REFLECTOR" --reflector \
  --secret-file "$LAB_REFLECTOR_SECRET_FILE" --receive-user "$LAB_SENDER" \
  --receive-password-file "$LAB_SENDER_PASSWORD_FILE"

# The daemon on the example configuration, adjusted if the lab is not at its defaults.
config=examples/lab.yaml
if [ "$LAB_DIR" != /tmp/mailprobe-lab ] || [ "${MAILPROBE_LAB_PORT_BASE:-20000}" != 20000 ]; then
  config=$LAB_DIR/mailprobe.yaml
  tests/lab/lab daemon-config >"$config"
fi
echo "The lab keeps running after the daemon stops (tests/lab/lab status | down)."
echo "Starting the daemon: open http://127.0.0.1:9797/ (Ctrl-C stops it)."
echo "Notifications of hard problems go to $LAB_DIR/notifications.log (try: tests/lab/lab stop-dovecot)."
exec build/src/cli/mailprobe serve -c "$config"
