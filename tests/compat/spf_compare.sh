#!/usr/bin/env bash
# Compare check_mail_domain's SPF results (check_host(), RFC 7208) with spfquery (Mail::SPF,
# Debian's spf-tools-perl on libmail-spf-perl) on the DNS lab's SPF cases. Prints a Markdown
# table (case x address: both tools' results) and, per case, mailprobe's SPF summary line.
#
#   tests/compat/spf_compare.sh DNSLAB_ENV   (tests/lab/dnslab up first; as root)
#
# Env: CHECK_MAIL_DOMAIN (default build/src/cli/check_mail_domain of this tree), SPFQUERY
# (default spfquery), RELAY_ADDR (default 127.0.0.153; must be free on port 53).
#
# How spfquery reaches the lab resolver: Net::DNS reads /etc/resolv.conf (port 53 only) and
# the lab's Unbound listens on a high port; as in mx_compare.sh, a byte-for-byte UDP/TCP relay
# listens on RELAY_ADDR:53 and forwards to the lab resolver, and spfquery runs in a private
# mount namespace (unshare -m) where /etc/resolv.conf is bind-mounted to "nameserver
# RELAY_ADDR". The system's resolv.conf is never touched.
set -uo pipefail
env_file=${1:?usage: spf_compare.sh DNSLAB_ENV}
# shellcheck disable=SC1090
source "$env_file"
CHECK_MAIL_DOMAIN=${CHECK_MAIL_DOMAIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/src/cli/check_mail_domain}
SPFQUERY=${SPFQUERY:-spfquery}
RELAY_ADDR=${RELAY_ADDR:-127.0.0.153}
[[ $(id -u) -eq 0 ]] || { echo "spf_compare: must run as root (unshare -m, port 53)" >&2; exit 1; }
command -v "$SPFQUERY" >/dev/null \
  || { echo "spf_compare: $SPFQUERY not found (Debian: apt-get install spf-tools-perl)" >&2; exit 1; }
[[ -x $CHECK_MAIL_DOMAIN ]] || { echo "spf_compare: $CHECK_MAIL_DOMAIN not built" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
  stop_lab_relay
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=tests/compat/lab_resolver.sh
. "$(dirname "$0")/lab_resolver.sh"
start_lab_relay spf_compare

# Each case and the addresses evaluated for it.
CASES=(SPF_GOOD SPF_REJECT SPF_9 SPF_10 SPF_11 SPF_VOID SPF_LOOP SPF_TWO SPF_REDIRECT_MISSING
  SPF_SPLIT SPF_SPLIT_BAD SPF_GARBAGE SPF_PLUS_ALL SPF_MX11 SPF_MACRO SPF_MANYTXT SPF_PTR)
declare -A ips=(
  [SPF_GOOD]="127.0.0.20 127.0.0.21 127.0.0.22 192.0.2.99 2001:db8::1"
  [SPF_REJECT]="127.0.0.20"
  [SPF_9]="192.0.2.9 198.51.100.1"
  [SPF_10]="192.0.2.10 198.51.100.1"
  [SPF_11]="192.0.2.1 192.0.2.11 198.51.100.1"
  [SPF_VOID]="127.0.0.20"
  [SPF_LOOP]="192.0.2.1 198.51.100.1"
  [SPF_TWO]="127.0.0.20"
  [SPF_REDIRECT_MISSING]="127.0.0.20"
  [SPF_SPLIT]="127.0.0.20 127.0.0.21"
  [SPF_SPLIT_BAD]="127.0.0.20"
  [SPF_GARBAGE]="127.0.0.20"
  [SPF_PLUS_ALL]="198.51.100.1"
  [SPF_MX11]="127.0.1.1 127.0.1.10 127.0.1.11"
  [SPF_MACRO]="127.0.0.20"
  [SPF_MANYTXT]="127.0.0.20"
  [SPF_PTR]="127.0.0.20"
)

# spfquery's result (its first output line) for the MAIL FROM postmaster@DOMAIN.
run_spfquery() { # domain ip
  local out
  out=$(in_lab timeout 30 "$SPFQUERY" --scope mfrom --id "postmaster@$1" --ip "$2" \
    --helo-id "$1" 2>&1 | tr -d '\0')
  SQ_RESULT=$(head -n 1 <<<"$out")
  SQ_DETAIL=$(sed -n 's/^Received-SPF: //p' <<<"$out" | head -n 1 | cut -c1-200)
  [[ -n $SQ_DETAIL ]] || SQ_DETAIL=$(sed -n 2p <<<"$out" | cut -c1-200)
}

echo "| case | address | spfquery | check_mail_domain | same |"
echo "|---|---|---|---|---|"
declare -a summaries differences
for c in "${CASES[@]}"; do
  v=DNSLAB_DOMAIN_$c
  d=${!v}
  args=()
  for ip in ${ips[$c]}; do args+=(--spf-ip "$ip"); done
  "$CHECK_MAIL_DOMAIN" "$d" --resolver "$DNSLAB_RESOLVER" \
    --trust-anchor "$DNSLAB_TRUST_ANCHOR_FILE" -t 20 "${args[@]}" >"$work/out" 2>&1
  rc=$?
  out=$(tr -d '\0' <"$work/out")
  summaries+=("- **${d%%."$DNSLAB_PARENT_ZONE"}** (exit $rc): \`$(grep -m 1 -E '\] SPF: ' <<<"$out" | sed 's/^ *\\_ //')\`")
  for ip in ${ips[$c]}; do
    mp=$(grep -m 1 -F "] $ip: " <<<"$out" | sed -E 's/.*\] [^ ]+: ([a-z]+) .*/\1/')
    mp_line=$(grep -m 1 -F "] $ip: " <<<"$out" | sed 's/^ *\\_ //' | cut -c1-200)
    run_spfquery "$d" "$ip"
    same=yes
    if [[ $mp != "$SQ_RESULT" ]]; then
      same=NO
      differences+=("- ${d%%."$DNSLAB_PARENT_ZONE"} $ip: spfquery \`$SQ_RESULT\` ($SQ_DETAIL); check_mail_domain \`$mp_line\`")
    fi
    echo "| ${d%%."$DNSLAB_PARENT_ZONE"} | $ip | $SQ_RESULT | ${mp:-?} | $same |"
  done
done
echo
echo "check_mail_domain's SPF line per case (parent zone $DNSLAB_PARENT_ZONE):"
echo
printf '%s\n' "${summaries[@]}"
echo
if ((${#differences[@]})); then
  echo "Differences:"
  echo
  printf '%s\n' "${differences[@]}"
else
  echo "No differences."
fi
