#!/usr/bin/env bash
# Runs the same command lines with monitoring-plugins' plugins and with mailprobe's against
# the lab, and compares the exit states. A difference is allowed only where the case says
# it is a deliberate improvement (also listed in the README); any other difference fails.
#
#   tests/compat/compare.sh BIN_DIR LAB_ENV
#
# BIN_DIR holds mailprobe's check_* symlinks; LAB_ENV is a running lab's lab.env.
# monitoring-plugins must be installed (scripts/setup.sh --reference).
set -uo pipefail

bin_dir=${1:?usage: compare.sh BIN_DIR LAB_ENV}
lab_env=${2:?usage: compare.sh BIN_DIR LAB_ENV}
ref_dir=/usr/lib/nagios/plugins
[ -x "$ref_dir/check_smtp" ] || { echo "compare.sh: monitoring-plugins not installed ($ref_dir)" >&2; exit 2; }
# shellcheck disable=SC1090
source "$lab_env"

H=localhost
SENDER_PW=$(head -n1 "$LAB_SENDER_PASSWORD_FILE")
RECEIVER_PW=$(head -n1 "$LAB_RECEIVER_PASSWORD_FILE")
CLOSED=1
# mailprobe verifies certificates: it trusts the lab's CA through the standard variable,
# so the command lines stay exactly the same for both.
export SSL_CERT_FILE=$LAB_CA_FILE

state_name() { case $1 in 0) echo OK;; 1) echo WARNING;; 2) echo CRITICAL;; 3) echo UNKNOWN;; *) echo "rc=$1";; esac; }

total=0 same=0 deliberate=0 unexpected=0
# case NAME EXPECT PLUGIN ARGS...
#   EXPECT is "same", or "mailprobe=STATE: reason" for a deliberate difference.
case_() {
  local name=$1 expect=$2 plugin=$3
  shift 3
  local ref_out ours_out ref_rc ours_rc
  ref_out=$("$ref_dir/$plugin" "$@" 2>&1); ref_rc=$?
  ours_out=$("$bin_dir/$plugin" "$@" 2>&1); ours_rc=$?
  total=$((total + 1))
  local ref_state ours_state verdict
  ref_state=$(state_name $ref_rc); ours_state=$(state_name $ours_rc)
  if [ "$expect" = same ] && [ $ref_rc -eq $ours_rc ]; then
    verdict="same"; same=$((same + 1))
  elif [ "$expect" != same ] && [ "${expect%%:*}" = "mailprobe=$ours_state" ]; then
    verdict="deliberate: ${expect#*: }"; deliberate=$((deliberate + 1))
  else
    verdict="UNEXPECTED (wanted: $expect)"; unexpected=$((unexpected + 1))
    printf '    monitoring-plugins: %s\n    mailprobe:          %s\n' \
      "$(head -n1 <<<"$ref_out")" "$(head -n1 <<<"$ours_out")" >&2
  fi
  printf '%-44s %-9s %-9s %s\n' "$name" "$ref_state" "$ours_state" "$verdict"
}

printf '%-44s %-9s %-9s %s\n' "case" "m-p" "mailprobe" "verdict"
# --- check_smtp ---
case_ "smtp plain" same check_smtp -H $H -p "$LAB_SMTP_PORT"
case_ "smtp STARTTLS" same check_smtp -H $H -p "$LAB_SMTP_PORT" -S
case_ "smtp STARTTLS AUTH LOGIN (seed)" same check_smtp -H $H -p "$LAB_SUBMISSION_PORT" -S -D 30,14 -A LOGIN -U "$LAB_SENDER" -P "$SENDER_PW"
case_ "smtp STARTTLS AUTH LOGIN" same check_smtp -H $H -p "$LAB_SUBMISSION_PORT" -S -A LOGIN -U "$LAB_SENDER" -P "$SENDER_PW"
case_ "smtp RCPT check (seed)" same check_smtp -H $H -p "$LAB_SMTP_PORT" -f "$LAB_SENDER" -C "RCPT TO:<$LAB_RECEIVER>" -R "250"
case_ "smtp RCPT relay denied" same check_smtp -H $H -p "$LAB_SMTP_PORT" -f "$LAB_SENDER" -C "RCPT TO:<x@elsewhere.example>" -R "250"
case_ "smtp expect mismatch" same check_smtp -H $H -p "$LAB_SMTP_PORT" -e "ESMTP-NOT-THERE"
case_ "smtp warning time" same check_smtp -H $H -p "$LAB_SMTP_PORT" -w 0.000001 -c 60
case_ "smtp critical time" same check_smtp -H $H -p "$LAB_SMTP_PORT" -w 0.000001 -c 0.000002
case_ "smtp refused" same check_smtp -H $H -p $CLOSED
case_ "smtp -D 400 (cert 365 days)" same check_smtp -H $H -p "$LAB_SMTP_PORT" -D 400
case_ "smtp -D 400,380" same check_smtp -H $H -p "$LAB_SMTP_PORT" -D 400,380
case_ "smtp LMTP" same check_smtp -H $H -p "$LAB_LMTP_PORT" -L
case_ "smtp -t 0" "mailprobe=UNKNOWN: -t 0 would disable the timeout" check_smtp -H $H -p "$LAB_SMTP_PORT" -t 0
case_ "smtp unresolvable host" "mailprobe=CRITICAL: a DNS failure is a failure of the service" check_smtp -H no-such-host.invalid
# --- check_pop / check_spop ---
case_ "pop plain" same check_pop -H $H -p "$LAB_POP3_PORT"
case_ "spop implicit TLS" same check_spop -H $H -p "$LAB_POP3S_PORT"
case_ "pop -S on a TLS port" same check_pop -H $H -p "$LAB_POP3S_PORT" -S
case_ "pop login by send/expect (seed)" same check_pop -H $H -p "$LAB_POP3_PORT" -E -s "USER $LAB_RECEIVER\r\nPASS $RECEIVER_PW\r\n" -d 5 -e "ogged in"
case_ "pop expect mismatch" same check_pop -H $H -p "$LAB_POP3_PORT" -e nomatch
case_ "pop mismatch -M crit" same check_pop -H $H -p "$LAB_POP3_PORT" -e nomatch -M crit
case_ "pop mismatch -M ok" same check_pop -H $H -p "$LAB_POP3_PORT" -e nomatch -M ok
case_ "pop refused" same check_pop -H $H -p $CLOSED
case_ "pop refused -r warn" same check_pop -H $H -p $CLOSED -r warn
case_ "pop refused -r ok" same check_pop -H $H -p $CLOSED -r ok
case_ "spop -D 400" same check_spop -H $H -p "$LAB_POP3S_PORT" -D 400
case_ "spop -D 400,380" same check_spop -H $H -p "$LAB_POP3S_PORT" -D 400,380
case_ "spop expired certificate -D 30" same check_spop -H "$LAB_EXPIRED_HOST" -p "$LAB_POP3S_PORT" -D 30
case_ "pop unresolvable host" same check_pop -H no-such-host.invalid -p "$LAB_POP3_PORT"
# --- check_imap / check_simap ---
case_ "imap plain" same check_imap -H $H -p "$LAB_IMAP_PORT"
case_ "simap implicit TLS" same check_simap -H $H -p "$LAB_IMAPS_PORT"
case_ "imap login by send/expect (seed)" same check_imap -H $H -p "$LAB_IMAP_PORT" -E -s "pr01 LOGIN $LAB_RECEIVER $RECEIVER_PW\r\n" -d 5 -e "pr01 OK"
case_ "imap warning time" same check_imap -H $H -p "$LAB_IMAP_PORT" -w 0.000001
case_ "simap expired certificate" "mailprobe=CRITICAL: certificates are verified (expiry)" check_simap -H "$LAB_EXPIRED_HOST" -p "$LAB_IMAPS_PORT"
case_ "simap wrong host name" "mailprobe=CRITICAL: certificates are verified (host name)" check_simap -H "$LAB_WRONGHOST_HOST" -p "$LAB_IMAPS_PORT"
case_ "simap expired certificate -D 0" same check_simap -H "$LAB_EXPIRED_HOST" -p "$LAB_IMAPS_PORT" -D 0
# --- check_tcp ---
case_ "tcp connect only" same check_tcp -H $H -p "$LAB_SMTP_PORT"
case_ "tcp expect" same check_tcp -H $H -p "$LAB_SMTP_PORT" -e 220
case_ "tcp expect hidden" same check_tcp -H $H -p "$LAB_SMTP_PORT" -e 220 -j
case_ "tcp implicit TLS" same check_tcp -H $H -p "$LAB_IMAPS_PORT" -S -e "* OK"
case_ "tcp send/expect/quit" same check_tcp -H $H -p "$LAB_SMTP_PORT" -E -s "NOOP\r\n" -e "250" -q "QUIT"
case_ "tcp refused" same check_tcp -H $H -p $CLOSED
# --- check_mailq ---
case_ "mailq empty postfix queue" same check_mailq -M postfix -d "$LAB_POSTFIX_CONFIG_DIR" -w 5 -c 10
case_ "mailq -w not below -c" same check_mailq -M postfix -d "$LAB_POSTFIX_CONFIG_DIR" -w 5 -c 5

echo
echo "compare.sh: $total command lines: $same same state, $deliberate deliberate differences, $unexpected unexpected"
[ $unexpected -eq 0 ]
