#!/usr/bin/env bash
# Compare check_mail_domain's DKIM verdicts with OpenDKIM's opendkim-testkey on the DNS
# lab's selectors (tests/lab/dns/zones_dmarc_dkim.sh). Prints a Markdown table (selector x
# tool) and, per selector, each tool's output.
#
#   tests/compat/dkim_compare.sh DNSLAB_ENV   (tests/lab/dnslab up first)
#
# Env: CHECK_MAIL_DOMAIN (default build/src/cli/check_mail_domain of this tree),
# OPENDKIM_TESTKEY (default /usr/sbin/opendkim-testkey).
#
# How opendkim-testkey reaches the lab resolver: Debian builds OpenDKIM with libunbound,
# and opendkim-testkey reads two settings of its configuration file (-x) for it,
# TrustAnchorFile and ResolverConfiguration (a libunbound configuration file; OpenDKIM's
# newer sources call it UnboundConfigFile, which 2.11 refuses). The latter forwards every
# query to the lab's Unbound on its high port, and the trust anchor is the lab's. So unlike
# check_mx's peers (tests/compat/mx_compare.sh), which resolve through glibc and port 53 and
# need a relay in a private mount namespace, this needs neither root nor port 53, and
# opendkim-testkey validates DNSSEC itself ("key secure").
#
# opendkim-testkey also gets the private key (-k) of the RSA selectors, and then checks that
# the published key is its public half; check_mail_domain never sees private keys. Not for
# Ed25519: opendkim-testkey 2.11 reads only RSA private keys ("EVP_PKEY_get1_RSA() failed").
set -uo pipefail
env_file=${1:?usage: dkim_compare.sh DNSLAB_ENV}
# shellcheck disable=SC1090
source "$env_file"
CHECK_MAIL_DOMAIN=${CHECK_MAIL_DOMAIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/src/cli/check_mail_domain}
OPENDKIM_TESTKEY=${OPENDKIM_TESTKEY:-/usr/sbin/opendkim-testkey}
for tool in "$CHECK_MAIL_DOMAIN" "$OPENDKIM_TESTKEY"; do
  [[ -x $tool ]] || { echo "dkim_compare: $tool is not an executable" >&2; exit 1; }
done
domain=$DNSLAB_DOMAIN_DKIM
keys=$DNSLAB_DIR/dkim

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/unbound.conf" <<EOF
server:
	do-not-query-localhost: no
forward-zone:
	name: "."
	forward-addr: $DNSLAB_RESOLVER_HOST@$DNSLAB_RESOLVER_PORT
EOF
cat >"$work/opendkim.conf" <<EOF
TrustAnchorFile $DNSLAB_TRUST_ANCHOR_FILE
ResolverConfiguration $work/unbound.conf
EOF

state() { case $1 in 0) echo OK ;; 1) echo WARNING ;; 2) echo CRITICAL ;; *) echo "UNKNOWN($1)" ;; esac; }
oneline() { tr '\n' ' ' | sed -e 's/ *$//' -e 's/|/\\|/g' | cut -c1-300; }

run_check() { # selector: sets V_MP (the DKIM part's state), L_MP (its lines), B_MP (key bits)
  local out rc part
  out=$("$CHECK_MAIL_DOMAIN" "$domain" --resolver "$DNSLAB_RESOLVER" \
    --trust-anchor "$DNSLAB_TRUST_ANCHOR_FILE" --public-suffix-list "$DNSLAB_PUBLIC_SUFFIX_FILE" \
    --dkim-selector "$1" -t 10 2>&1)
  rc=$?
  # The plugin's state is the worst part's (the lab domain has no DMARC record, say); the
  # DKIM part is the long output line "\_ [STATE] DKIM SELECTOR: ..." and the lines below it.
  part=$(awk -v head="DKIM $1:" '
    /^\\_ \[/ { inside = index($0, "] " head) > 0 }
    inside { sub(/^ *\\_ /, ""); print }' <<<"$out")
  V_MP=$(head -n 1 <<<"$part" | sed -E 's/^\[([A-Z]+)\].*/\1/')
  [[ -n $V_MP ]] || V_MP="$(state "$rc") (no DKIM line)"
  L_MP=$(sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/ \/ /g' <<<"${part:-$(head -n 1 <<<"$out")}" | oneline)
  B_MP=$(grep -o "dkim_key_bits_$1=[0-9]*" <<<"$out" | head -n 1 | sed 's/.*=//')
  [[ -n $B_MP ]] || B_MP=-
}

run_testkey() { # selector: sets V_OD, L_OD
  local out rc
  local -a key=()
  [[ $1 != ed25519 && -s $keys/$1.key ]] && key=(-k "$keys/$1.key")
  out=$(timeout 30 "$OPENDKIM_TESTKEY" -x "$work/opendkim.conf" -d "$domain" -s "$1" "${key[@]}" \
    -vvv 2>&1)
  rc=$?
  L_OD=$(grep -v -e 'checking key' -e 'key loaded' <<<"$out" | sed 's/^opendkim-testkey: //' | oneline)
  # Exit 0 is "key OK"; 65 (EX_DATAERR) and 69 (EX_UNAVAILABLE) say why on their last line.
  if ((rc == 0)); then
    V_OD="key OK"
  else
    V_OD="fails ($rc): $(grep -v -e 'checking key' -e 'key loaded' -e 'key secure' <<<"$out" \
      | tail -n 1 | sed -e 's/^opendkim-testkey: //' -e "s/ for '.*'//" -e "s/'.*' //")"
  fi
  grep -q 'key secure' <<<"$out" && V_OD+=" (secure)"
  grep -q 'key not secure' <<<"$out" && V_OD+=" (not secure)"
}

SELECTORS=(rsa2048 rsa1024 rsa512 ed25519 testing revoked garbage oddsplit absent twotxt sha1only
  edspki)
declare -A what=(
  [rsa2048]="RSA 2048, two TXT strings"
  [rsa1024]="RSA 1024"
  [rsa512]="RSA 512"
  [ed25519]="Ed25519 (RFC 8463)"
  [testing]="RSA 2048, t=y"
  [revoked]="empty p="
  [garbage]="p= not base64"
  [oddsplit]="RSA 2048 in 5 strings"
  [absent]="no record"
  [twotxt]="two TXT records"
  [sha1only]="RSA 2048, h=sha1"
  [edspki]="Ed25519 as SubjectPublicKeyInfo"
)
echo "| selector | record | check_mail_domain | key bits | opendkim-testkey -vvv |"
echo "|---|---|---|---|---|"
details=()
for s in "${SELECTORS[@]}"; do
  run_check "$s"
  run_testkey "$s"
  echo "| $s | ${what[$s]} | $V_MP | $B_MP | $V_OD |"
  # shellcheck disable=SC2016 # backquotes are Markdown
  details+=("$(printf -- '- **%s** (%s._domainkey.%s)\n  - check_mail_domain: `%s`\n  - opendkim-testkey: `%s`' \
    "$s" "$s" "$domain" "$L_MP" "$L_OD")")
done
echo
echo "Outputs (resolver $DNSLAB_RESOLVER):"
echo
printf '%s\n' "${details[@]}"
