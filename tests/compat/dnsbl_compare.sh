#!/usr/bin/env bash
# Compare check_dnsbl with check_rbl (monitoring-plugins-contrib / nagios-plugins-contrib)
# on the DNS lab's blocklists (tests/lab/dns/zones_dnsbl.sh). Prints a Markdown table (case x
# tool) and, per case, each tool's one-line output.
#
#   tests/compat/dnsbl_compare.sh DNSLAB_ENV   (tests/lab/dnslab up first; as root)
#
# Env: CHECK_DNSBL (default build/src/cli/check_dnsbl of this tree), CHECK_RBL (default
# /usr/lib/nagios/plugins/check_rbl; needs libnet-ip-perl, libreadonly-perl and
# libmonitoring-plugin-perl), RELAY_ADDR (default 127.0.0.154; must be free on port 53).
#
# How check_rbl reaches the lab resolver: it resolves with Net::DNS, which reads
# /etc/resolv.conf and asks port 53 only, and glibc (its reverse lookup of the address),
# while the lab's Unbound listens on a high port. So a byte-for-byte UDP/TCP relay listens on
# RELAY_ADDR:53 and forwards to the lab resolver, and check_rbl runs in a private mount
# namespace (unshare -m) where /etc/resolv.conf is bind-mounted to "nameserver RELAY_ADDR".
# The system's resolv.conf is never touched. (tests/compat/mx_compare.sh does the same.)
#
# The deliberate difference: check_rbl counts any A record as a listing, so a list that
# refuses the query (127.255.255.254, Spamhaus through a public resolver), one that lists
# everything and one that answers addresses outside 127.0.0.0/8 make it CRITICAL, and a list
# that is gone makes it OK. check_dnsbl asks every list its RFC 5782 section 5 test entries
# and says UNKNOWN for such a list, with the reason.
set -uo pipefail
env_file=${1:?usage: dnsbl_compare.sh DNSLAB_ENV}
# shellcheck disable=SC1090
source "$env_file"
CHECK_DNSBL=${CHECK_DNSBL:-$(cd "$(dirname "$0")/../.." && pwd)/build/src/cli/check_dnsbl}
CHECK_RBL=${CHECK_RBL:-/usr/lib/nagios/plugins/check_rbl}
RELAY_ADDR=${RELAY_ADDR:-127.0.0.154}
[[ $(id -u) -eq 0 ]] || { echo "dnsbl_compare: must run as root (unshare -m, port 53)" >&2; exit 1; }
[[ -x $CHECK_DNSBL ]] || { echo "dnsbl_compare: no $CHECK_DNSBL (build it first)" >&2; exit 1; }
# (Monitoring::Plugin exits 3 after --version.)
[[ $("$CHECK_RBL" --version 2>&1) == "check_rbl "* ]] ||
  { echo "dnsbl_compare: $CHECK_RBL does not run (its Perl modules?)" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
  stop_lab_relay
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=tests/compat/lab_resolver.sh
. "$(dirname "$0")/lab_resolver.sh"
start_lab_relay dnsbl_compare
ONELINE_WIDTH=300


P=$DNSLAB_PARENT_ZONE
GOOD=$DNSLAB_DOMAIN_DNSBL_GOOD SECOND=$DNSLAB_DOMAIN_DNSBL_SECOND
LISTED=$DNSLAB_ADDR_DNSBL_LISTED CLEAN=$DNSLAB_ADDR_DNSBL_CLEAN

# case: what | check_dnsbl target and lists | check_rbl target and servers | extra options
# (targets: -H ADDR, or -U DOMAIN for check_rbl's domain mode against --rhsbl-domain).
CASES=(listed clean ipv6 name two_lists two_lists_w refused refused_beside all random dead
  rhsbl)
declare -A what=(
  [listed]="127.0.0.20 on bl-good (code 127.0.0.4, TXT)"
  [clean]="127.0.0.11, on no list"
  [ipv6]="::1 on bl-good (nibbles)"
  [name]="a host name (nomx) whose address is listed"
  [two_lists]="127.0.0.20 on bl-good and bl-second"
  [two_lists_w]="the same, -w 1 -c 3"
  [refused]="bl-refused: 127.255.255.254 for every name"
  [refused_beside]="bl-good + bl-refused, a clean address"
  [all]="bl-all: lists everything, 127.0.0.1 too"
  [random]="bl-random: 40 addresses outside 127/8"
  [dead]="bl-dead: no test entry, nothing at all"
  [rhsbl]="domain list: nomx listed"
)
declare -A dnsbl_args rbl_args
dnsbl_args=(
  [listed]="-H $LISTED --list $GOOD"
  [clean]="-H $CLEAN --list $GOOD"
  [ipv6]="-H ::1 --list $GOOD"
  [name]="-H $DNSLAB_DOMAIN_NOMX --list $GOOD"
  [two_lists]="-H $LISTED --list $GOOD --list $SECOND"
  [two_lists_w]="-H $LISTED --list $GOOD --list $SECOND -w 1 -c 3"
  [refused]="-H $LISTED --list $DNSLAB_DOMAIN_DNSBL_REFUSED"
  [refused_beside]="-H $CLEAN --list $GOOD --list $DNSLAB_DOMAIN_DNSBL_REFUSED"
  [all]="-H $CLEAN --list $DNSLAB_DOMAIN_DNSBL_ALL"
  [random]="-H $CLEAN --list $DNSLAB_DOMAIN_DNSBL_RANDOM"
  [dead]="-H $LISTED --list $DNSLAB_DOMAIN_DNSBL_DEAD"
  [rhsbl]="--rhsbl-domain $DNSLAB_DOMAIN_NOMX --list $DNSLAB_DOMAIN_DNSBL_RHSBL:domain"
)
rbl_args=(
  [listed]="-H $LISTED -s $GOOD"
  [clean]="-H $CLEAN -s $GOOD"
  [ipv6]="-H ::1 -s $GOOD"
  [name]="-H $DNSLAB_DOMAIN_NOMX -s $GOOD"
  [two_lists]="-H $LISTED -s $GOOD -s $SECOND"
  [two_lists_w]="-H $LISTED -s $GOOD -s $SECOND -w 1 -c 3"
  [refused]="-H $LISTED -s $DNSLAB_DOMAIN_DNSBL_REFUSED"
  [refused_beside]="-H $CLEAN -s $GOOD -s $DNSLAB_DOMAIN_DNSBL_REFUSED"
  [all]="-H $CLEAN -s $DNSLAB_DOMAIN_DNSBL_ALL"
  [random]="-H $CLEAN -s $DNSLAB_DOMAIN_DNSBL_RANDOM"
  [dead]="-H $LISTED -s $DNSLAB_DOMAIN_DNSBL_DEAD"
  [rhsbl]="-U $DNSLAB_DOMAIN_NOMX -s $DNSLAB_DOMAIN_DNSBL_RHSBL"
)

run_dnsbl() { # case
  local out rc t0 t1
  local -a args
  read -ra args <<<"${dnsbl_args[$1]}"
  # "ZONE:domain" is one --list value with a space ("ZONE domain").
  args=("${args[@]/%:domain/ domain}")
  t0=${EPOCHREALTIME/./}
  out=$("$CHECK_DNSBL" "${args[@]}" --resolver "$DNSLAB_RESOLVER" \
    --trust-anchor "$DNSLAB_TRUST_ANCHOR_FILE" -t 8 2>&1)
  rc=$?
  t1=${EPOCHREALTIME/./}
  V_DNSBL="$(state $rc)"
  L_DNSBL="$(oneline <<<"$out")"
  T_DNSBL=$(((t1 - t0) / 1000))
}

run_rbl() { # case
  local out rc t0 t1
  local -a args
  read -ra args <<<"${rbl_args[$1]}"
  t0=${EPOCHREALTIME/./}
  out=$(in_lab timeout 60 "$CHECK_RBL" "${args[@]}" -t 20 --query-timeout 5 -r 1 2>&1)
  rc=$?
  t1=${EPOCHREALTIME/./}
  V_RBL="$(state $rc)"
  L_RBL="$(oneline <<<"$out")"
  T_RBL=$(((t1 - t0) / 1000))
}

declare -A row detail
for c in "${CASES[@]}"; do
  run_dnsbl "$c"
  run_rbl "$c"
  same=same
  [[ $V_DNSBL == "$V_RBL" ]] || same="**differs**"
  row[$c]="| $c | ${what[$c]} | $V_DNSBL | $V_RBL | $same | $T_DNSBL / $T_RBL ms |"
  # shellcheck disable=SC2016 # backquotes are Markdown
  detail[$c]=$(printf -- '- **%s**: %s\n  - check_dnsbl %s: `%s`\n  - check_rbl %s: `%s`\n' \
    "$c" "${what[$c]}" "${dnsbl_args[$c]//$P/P}" "$L_DNSBL" "${rbl_args[$c]//$P/P}" "$L_RBL")
done

echo "| case | what | check_dnsbl | check_rbl | | time (check_dnsbl / check_rbl) |"
echo "|---|---|---|---|---|---|"
for c in "${CASES[@]}"; do echo "${row[$c]}"; done
echo
echo "One-line outputs (P = parent zone $P):"
echo
for c in "${CASES[@]}"; do echo "${detail[$c]}"; done
