#!/usr/bin/env bash
# Smoke test of tests/lab/dnslab: brings a DNS lab up from nothing (its own directory and
# ports unless MAILPROBE_DNSLAB_DIR/_PORT_BASE are set), checks every case with dig, openssl
# and curl the way check_mx will see it, measures up/down, and takes the lab down again
# (DNSLAB_KEEP=1 leaves it running). Every network call has its own timeout. Run as root.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export MAILPROBE_DNSLAB_DIR=${MAILPROBE_DNSLAB_DIR:-/tmp/mailprobe-dnslab-smoke}
export MAILPROBE_DNSLAB_PORT_BASE=${MAILPROBE_DNSLAB_PORT_BASE:-24000}
LAB=$HERE/dnslab
TMP=$(mktemp -d)
passed=0 failed=0

now_ms() { local us=${EPOCHREALTIME//[!0-9]/}; echo $((us / 1000)); }
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1" >&2; }
not() { ! "$@"; }
check() { # description command...: pass if the command succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}

finish() {
  local rc=$?
  rm -rf "$TMP"
  if [[ ${DNSLAB_KEEP:-0} != 1 ]]; then timeout 30 "$LAB" down --purge >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap finish EXIT

# --- up, timed ---------------------------------------------------------------------------
timeout 60 "$LAB" down --purge >/dev/null 2>&1 || true
t=$(now_ms)
timeout 120 "$LAB" up || { echo "dnslab_test: dnslab up failed" >&2; exit 1; }
up_cold=$(secs $(($(now_ms) - t)))
t=$(now_ms)
timeout 60 "$LAB" up >/dev/null || { echo "dnslab_test: second dnslab up failed" >&2; exit 1; }
up_warm=$(secs $(($(now_ms) - t)))
# shellcheck source=/dev/null
. "$MAILPROBE_DNSLAB_DIR/dnslab.env"
P=$DNSLAB_SMTP_PORT

# --- DNS through the validating resolver -------------------------------------------------

q() { # name type [dig options]: the answer's "STATUS flags" line, then its records
  dig +time=2 +tries=1 @"$DNSLAB_RESOLVER_HOST" -p "$DNSLAB_RESOLVER_PORT" "$1" "$2" "${@:3}" \
    2>&1 | awk '/status:/ { sub(/.*status: /, ""); sub(/,.*/, ""); s = $0 }
                /^;; flags:/ { sub(/^;; flags: /, ""); sub(/;.*/, ""); print s, $0 }
                !/^;/ && NF >= 5 && $4 == T { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' \
      T="$2"
}
secure() { [[ $(q "$1" "$2" | head -n 1) == "NOERROR "*" ad"* ]]; }
has() { q "$1" "$2" "${@:4}" | tail -n +2 | grep -qxF -- "$3"; } # name type record [dig opts]
tlsa() { # name [dig opts]: TLSA records as "u s m HEX", hex joined (dig splits it)
  q "$1" TLSA "${@:2}" | tail -n +2 \
    | awk '{ d = ""; for (i = 4; i <= NF; i++) d = d $i; print $1, $2, $3, toupper(d) }'
}

check "secure answer has AD: $DNSLAB_PARENT_ZONE SOA" secure "$DNSLAB_PARENT_ZONE" SOA
check "secure answer has AD: MX $DNSLAB_DOMAIN_DANE_EE" secure "$DNSLAB_DOMAIN_DANE_EE" MX
check "secure answer has AD: TLSA of mx.$DNSLAB_DOMAIN_DANE_EE" \
  secure "_25._tcp.mx.$DNSLAB_DOMAIN_DANE_EE" TLSA
unsigned=$(q "_25._tcp.mx.$DNSLAB_DOMAIN_DANE_UNSIGNED" TLSA)
check "unsigned zone: TLSA answered without AD" \
  test "$(head -n 1 <<<"$unsigned")" = "NOERROR qr rd ra" -a "$(wc -l <<<"$unsigned")" -eq 2
rcode() { q "$@" | head -n 1 | cut -d' ' -f1; }
check "bogus zone: SERVFAIL" test "$(rcode "mx.$DNSLAB_DOMAIN_BOGUS" A)" = SERVFAIL
check "bogus zone with +cd: the data" has "mx.$DNSLAB_DOMAIN_BOGUS" A "$DNSLAB_ADDR_BOGUS" +cd
check "TLSA-only bogus: TLSA SERVFAIL" \
  test "$(rcode "_25._tcp.mx.$DNSLAB_DOMAIN_DANE_BOGUS" TLSA)" = SERVFAIL
check "TLSA-only bogus: its MX host's A is secure" secure "mx.$DNSLAB_DOMAIN_DANE_BOGUS" A
check "null MX (RFC 7505)" has "$DNSLAB_DOMAIN_NULLMX" MX "0 ."
check "no MX, an A" test "$(q "$DNSLAB_DOMAIN_NOMX" MX | wc -l)" -eq 1 -a \
  "$(q "$DNSLAB_DOMAIN_NOMX" A | tail -n 1)" = "$DNSLAB_ADDR_PKIX"
check "MX target is a CNAME" has "mx.$DNSLAB_DOMAIN_MXCNAME" CNAME "host.$DNSLAB_DOMAIN_MXCNAME."
check "AAAA ::1 on the v6dead MX" has "mx.$DNSLAB_DOMAIN_V6DEAD" AAAA "::1"
# shellcheck disable=SC2016 # expanded by the inner shell
listens() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }
check "nothing listens on [::1]:$P" not listens ::1 "$P"
check "the v6dead MX's A listens" listens "$(q "mx.$DNSLAB_DOMAIN_V6DEAD" A | tail -n 1)" "$P"
check "two _mta-sts TXT records" \
  test "$(q "_mta-sts.$DNSLAB_DOMAIN_STS_TWOTXT" TXT | tail -n +2 | grep -c STSv1)" -eq 2
check "MTA-STS TXT record" secure "_mta-sts.$DNSLAB_DOMAIN_STS_ENFORCE" TXT
txt_starts() { q "$1" TXT | tail -n +2 | grep -qF "\"$2"; } # name prefix
check "TLS-RPT good" txt_starts "_smtp._tls.$DNSLAB_DOMAIN_TLSRPT_GOOD" "v=TLSRPTv1; rua=mailto:"
check "TLS-RPT broken (rua without scheme)" \
  txt_starts "_smtp._tls.$DNSLAB_DOMAIN_TLSRPT_BROKEN" "v=TLSRPTv1; rua=tlsrpt@"
check "names outside the lab fail at once (nothing leaves)" \
  test "$(rcode example.com A)" = SERVFAIL

# --- TLSA against the certificates the MX hosts serve ------------------------------------

served() { # addr host: the chain the MX sends after STARTTLS, one PEM file per certificate
  timeout 10 openssl s_client -starttls smtp -connect "$1:$P" -servername "$2" -showcerts \
    </dev/null 2>/dev/null | awk -v d="$TMP/$2" \
    '/BEGIN CERT/ { n++; on = 1 } on { print > (d "." n ".pem") } /END CERT/ { on = 0 }'
  printf '%s\n' "$TMP/$2".*.pem
}
hex() { sha256sum | cut -d' ' -f1 | tr a-f A-F; }
spki() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | hex; } # 3 1 1
full() { openssl x509 -in "$1" -outform DER | hex; }                                      # 2 0 1
dane_ok() { # addr host rrdata...: openssl's own DANE verification (RFC 7671) passes
  local a=$1 h=$2 r
  local -a args=()
  shift 2
  for r in "$@"; do args+=(-dane_tlsa_rrdata "$r"); done
  timeout 10 openssl s_client -starttls smtp -connect "$a:$P" -dane_tlsa_domain "$h" \
    "${args[@]}" -verify_return_error </dev/null 2>&1 | grep -q '^Verification: OK'
}

mx=mx.$DNSLAB_DOMAIN_DANE_EE
mapfile -t chain < <(served "$DNSLAB_ADDR_DANE_EE" "$mx")
mapfile -t rr < <(tlsa "_25._tcp.$mx")
check "DANE-EE: TLSA 3 1 1 = served key" test "${rr[*]:-}" = "3 1 1 $(spki "${chain[0]}")"
check "DANE-EE: openssl verifies by TLSA alone (self-signed)" \
  dane_ok "$DNSLAB_ADDR_DANE_EE" "$mx" "${rr[@]}"

mx=mx.$DNSLAB_DOMAIN_DANE_TA
mapfile -t chain < <(served "$DNSLAB_ADDR_DANE_TA" "$mx")
mapfile -t rr < <(tlsa "_25._tcp.$mx")
check "DANE-TA: TLSA 2 0 1 = served CA = DANE CA file" \
  test "${rr[*]:-}" = "2 0 1 $(full "${chain[-1]}")" \
  -a "${rr[*]:-}" = "2 0 1 $(full "$DNSLAB_DANE_CA_FILE")"
check "DANE-TA: openssl verifies through the TLSA" dane_ok "$DNSLAB_ADDR_DANE_TA" "$mx" "${rr[@]}"
check "DANE-TA: the chain does not verify with the lab CA" \
  not openssl verify -CAfile "$DNSLAB_CA_FILE" "${chain[0]}" >/dev/null 2>&1

mx=mx.$DNSLAB_DOMAIN_DANE_STALE
mapfile -t chain < <(served "$DNSLAB_ADDR_DANE_STALE" "$mx")
mapfile -t rr < <(tlsa "_25._tcp.$mx")
check "stale TLSA: names the old key, not the served one" \
  test "${rr[*]:-}" = "3 1 1 $(spki "$DNSLAB_STALE_OLD_CERT_FILE")" \
  -a "${rr[*]:-}" != "3 1 1 $(spki "${chain[0]}")"
check "stale TLSA: openssl's DANE verification fails" \
  not dane_ok "$DNSLAB_ADDR_DANE_STALE" "$mx" "${rr[@]}"

mx=mx.$DNSLAB_DOMAIN_DANE_ROLLOVER
mapfile -t chain < <(served "$DNSLAB_ADDR_DANE_ROLLOVER" "$mx")
rollover=$(tlsa "_25._tcp.$mx" | sort)
check "rollover: TLSA = current + next key" test "$rollover" = "$(printf '3 1 1 %s\n' \
  "$(spki "${chain[0]}")" "$(spki "$DNSLAB_ROLLOVER_NEXT_CHAIN_FILE")" | sort)"
check "rollover: served certificate is the current one" \
  test "$(full "${chain[0]}")" = "$(full "$DNSLAB_ROLLOVER_CHAIN_FILE")"

mx=mx.$DNSLAB_DOMAIN_DANE_UNSIGNED
mapfile -t chain < <(served "$DNSLAB_ADDR_DANE_UNSIGNED" "$mx")
check "unsigned zone: TLSA matches the served key (but is insecure)" \
  test "$(tlsa "_25._tcp.$mx")" = "3 1 1 $(spki "${chain[0]}")"

for mx in "mx.$DNSLAB_DOMAIN_BOGUS" "mx.$DNSLAB_DOMAIN_DANE_BOGUS"; do
  mapfile -t chain < <(served "$DNSLAB_ADDR_BOGUS" "$mx")
  check "bogus: TLSA of $mx (+cd) matches the served key" \
    test "$(tlsa "_25._tcp.$mx" +cd)" = "3 1 1 $(spki "${chain[0]}")"
done

mapfile -t chain < <(served "$DNSLAB_ADDR_PKIX" "mx.$DNSLAB_DOMAIN_STS_ENFORCE")
pkix_ok() { openssl verify -CAfile "$DNSLAB_CA_FILE" -verify_hostname "$1" "$2" >/dev/null 2>&1; }
check "PKIX MX certificate valid for mx.$DNSLAB_DOMAIN_STS_ENFORCE with the lab CA" \
  pkix_ok "mx.$DNSLAB_DOMAIN_STS_ENFORCE" "${chain[0]}"

# --- MTA-STS policies over HTTPS ---------------------------------------------------------

fetch() { # domain [curl options]: "HTTP-code content-type size" of the policy, or curl's exit
  local h=mta-sts.$1 out
  if out=$(curl -sS --max-time 5 --cacert "$DNSLAB_CA_FILE" \
    --resolve "$h:$DNSLAB_MTA_STS_PORT:$DNSLAB_MTA_STS_HOST" "${@:2}" -o "$TMP/policy" \
    -w '%{http_code} %{content_type} %{size_download}' \
    "https://$h:$DNSLAB_MTA_STS_PORT/.well-known/mta-sts.txt" 2>/dev/null); then
    echo "$out"
  else
    echo "curl-exit-$?" # 60: the certificate did not verify
  fi
}
policy_mode() { # domain mode: a text/plain policy (RFC 8461 section 3.2) of that mode
  [[ $(fetch "$1") == "200 text/plain "* ]] && grep -q "^mode: $2"$'\r'"\$" "$TMP/policy"
}
check "MTA-STS enforce policy" policy_mode "$DNSLAB_DOMAIN_STS_ENFORCE" enforce
check "MTA-STS testing policy" policy_mode "$DNSLAB_DOMAIN_STS_TESTING" testing
check "MTA-STS none policy" policy_mode "$DNSLAB_DOMAIN_STS_NONE" none
check "MTA-STS two-TXT domain still serves a policy" policy_mode "$DNSLAB_DOMAIN_STS_TWOTXT" enforce
missing_mx() { # the domain has an MX mx2 that its enforce policy does not list
  policy_mode "$1" enforce && ! grep -q '^mx: mx2' "$TMP/policy" \
    && q "$1" MX | tail -n +2 | grep -q "^20 mx2\.$1\.\$"
}
check "policy missing an MX: mx2 is an MX but not in the policy" \
  missing_mx "$DNSLAB_DOMAIN_STS_MISSING_MX"
size=$(fetch "$DNSLAB_DOMAIN_STS_OVERSIZED")
check "oversized policy > 64 KiB ($size)" test "${size##* }" -gt 65536 -a "${size%% *}" = 200
check "redirecting policy URL answers 301" \
  test "$(fetch "$DNSLAB_DOMAIN_STS_REDIRECT" | cut -d' ' -f1)" = 301
check "policy host with a wrong-name certificate fails verification" \
  test "$(fetch "$DNSLAB_DOMAIN_STS_BADCERT")" = curl-exit-60
check "policy host with an expired certificate fails verification" \
  test "$(fetch "$DNSLAB_DOMAIN_STS_EXPIRED")" = curl-exit-60
check "the expired one serves a policy when not verified" \
  test "$(fetch "$DNSLAB_DOMAIN_STS_EXPIRED" -k | cut -d' ' -f1)" = 200

# --- down, timed -------------------------------------------------------------------------
if [[ ${DNSLAB_KEEP:-0} != 1 ]]; then
  t=$(now_ms)
  timeout 30 "$LAB" down >/dev/null
  down=$(secs $(($(now_ms) - t)))
  check "nothing runs after down" not "$LAB" status >/dev/null
else
  down='(kept up)'
fi
printf 'dnslab: up from nothing %s s, up when running %s s, down %s s\n' \
  "$up_cold" "$up_warm" "$down"
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
