#!/usr/bin/env bash
# check_mx on a domain of 4 MX hosts x 2 addresses (the DNS lab's bench domain) against
# Postfix's posttls-finger run for each of those 8 addresses in turn (STARTTLS, no
# verification: the sessions alone, none of check_mx's DNS, DANE, MTA-STS or TLS-RPT work).
# Alternating rounds; prints the median wall time of each and the ratio.
#
#   bench/mx_bench.sh BIN_DIR DNSLAB_ENV [ROUNDS]      (tests/lab/dnslab up first)
set -euo pipefail
bin_dir=${1:?usage: mx_bench.sh BIN_DIR DNSLAB_ENV [ROUNDS]}
dnslab_env=${2:?usage: mx_bench.sh BIN_DIR DNSLAB_ENV [ROUNDS]}
rounds=${3:-21}
# shellcheck disable=SC1090
source "$dnslab_env"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
domain=$DNSLAB_DOMAIN_BENCH
resolver=(--resolver "$DNSLAB_RESOLVER" --trust-anchor "$DNSLAB_TRUST_ANCHOR_FILE")

# The addresses, from the same resolver check_mx asks.
mapfile -t addresses < <(for h in $(dig +short -p "$DNSLAB_RESOLVER_PORT" @"$DNSLAB_RESOLVER_HOST" \
  "$domain" MX | awk '{print $2}'); do
  dig +short -p "$DNSLAB_RESOLVER_PORT" @"$DNSLAB_RESOLVER_HOST" "$h" A
done)
[[ ${#addresses[@]} -eq 8 ]] || { echo "mx_bench: expected 8 addresses, got ${#addresses[@]}" >&2; exit 1; }

now_ns() { date +%s%N; }
for _ in $(seq "$rounds"); do
  t=$(now_ns)
  "$bin_dir/check_mx" "$domain" "${resolver[@]}" --port "$DNSLAB_SMTP_PORT" \
    --mta-sts-port "$DNSLAB_MTA_STS_PORT" --ca-file "$DNSLAB_CA_FILE" >/dev/null || true
  echo $(($(now_ns) - t)) >>"$work/mailprobe"
  t=$(now_ns)
  for a in "${addresses[@]}"; do
    MAIL_CONFIG=$DNSLAB_POSTFIX_CONFIG_DIR timeout 10 posttls-finger -c -l may \
      "[$a]:$DNSLAB_SMTP_PORT" >/dev/null 2>&1 || true
  done
  echo $(($(now_ns) - t)) >>"$work/posttls"
done
median() { sort -n "$1" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)] / 1e6}'; }
m=$(median "$work/mailprobe")
p=$(median "$work/posttls")
printf 'check_mx, 4 MX x 2 addresses, median of %d: %.1f ms\n' "$rounds" "$m"
printf 'posttls-finger for each of the 8 addresses in turn:  %.1f ms\n' "$p"
awk -v m="$m" -v p="$p" 'BEGIN { printf "ratio (check_mx / posttls-finger): %.2f (goal: at most 0.33)\n", m / p }'
