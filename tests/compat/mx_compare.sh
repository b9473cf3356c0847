#!/usr/bin/env bash
# Compare check_mx's DANE verdicts with Postfix's posttls-finger and check_ssl_cert
# (monitoring-plugins-contrib) on the DNS lab's cases. Prints a Markdown table (case x tool)
# and, per case, each tool's one-line output.
#
#   tests/compat/mx_compare.sh DNSLAB_ENV [--variants]   (tests/lab/dnslab up first; as root)
#
# --variants also runs five certificate variants that the lab has no case for (RFC 7672
# section 3.1.1: DANE-EE ignores names and dates; 3.1.2/3.2.3: DANE-TA checks names, and the
# chain below the trust anchor is validated as usual). For each, the listener of the DANE-EE
# or DANE-TA MX is switched to another certificate by editing the lab's Postfix master.cf and
# `postfix reload`; the original master.cf is put back (and reloaded) at the end, also on
# error or interrupt. Do not use --variants on a lab that tests are running against.
#
# Env: CHECK_MX (default build/src/cli/check_mx of this tree), CHECK_SSL_CERT (default
# /usr/lib/nagios/plugins/check_ssl_cert), RELAY_ADDR (default 127.0.0.153; must be free on
# port 53).
#
# How the peers reach the lab resolver: both resolve through glibc (/etc/resolv.conf, port
# 53 only; check_ssl_cert's `dig` and openssl s_client alike), and the lab's Unbound listens
# on a high port. So a byte-for-byte UDP/TCP relay listens on RELAY_ADDR:53 and forwards to
# the lab resolver, and each peer runs in a private mount namespace (unshare -m) where
# /etc/resolv.conf is bind-mounted to "nameserver RELAY_ADDR". The system's resolv.conf is
# never touched. The relay passes the AD bit through; Postfix >= 3.6 sets RES_TRUSTAD
# itself, so no "options trust-ad" is needed.
set -uo pipefail
env_file=${1:?usage: mx_compare.sh DNSLAB_ENV [--variants]}
variants=0
[[ ${2:-} == --variants ]] && variants=1
# shellcheck disable=SC1090
source "$env_file"
CHECK_MX=${CHECK_MX:-$(cd "$(dirname "$0")/../.." && pwd)/build/src/cli/check_mx}
CHECK_SSL_CERT=${CHECK_SSL_CERT:-/usr/lib/nagios/plugins/check_ssl_cert}
RELAY_ADDR=${RELAY_ADDR:-127.0.0.153}
PORT=$DNSLAB_SMTP_PORT
[[ $(id -u) -eq 0 ]] || { echo "mx_compare: must run as root (unshare -m, port 53)" >&2; exit 1; }

work=$(mktemp -d)
master_saved=
cleanup() {
  if [[ -n $master_saved ]]; then
    cp -p "$master_saved" "$DNSLAB_POSTFIX_CONFIG_DIR/master.cf"
    touch -d '-60 sec' "$DNSLAB_POSTFIX_CONFIG_DIR/master.cf"
    postfix -c "$DNSLAB_POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1
  fi
  stop_lab_relay
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=tests/compat/lab_resolver.sh
. "$(dirname "$0")/lab_resolver.sh"
start_lab_relay mx_compare


# The MX host a sender connects to (the first MX; the domain itself when it has none;
# mx.DOMAIN when the MX lookup fails, so the peers that take a host still get one).
mx_host() {
  local d=$1 out status
  out=$(dig +time=2 +tries=1 -p "$DNSLAB_RESOLVER_PORT" @"$DNSLAB_RESOLVER_HOST" "$d" MX)
  status=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")
  local h
  h=$(dig +short +time=2 +tries=1 -p "$DNSLAB_RESOLVER_PORT" @"$DNSLAB_RESOLVER_HOST" "$d" MX \
    | sort -n | awk 'NR == 1 {print $2}')
  if [[ -n $h ]]; then echo "${h%.}"
  elif [[ $status == NOERROR ]]; then echo "$d"
  else echo "mx.$d"
  fi
}

run_check_mx() { # domain
  local out rc
  out=$("$CHECK_MX" "$1" --resolver "$DNSLAB_RESOLVER" --trust-anchor "$DNSLAB_TRUST_ANCHOR_FILE" \
    --port "$PORT" --mta-sts-port "$DNSLAB_MTA_STS_PORT" --ca-file "$DNSLAB_CA_FILE" -t 8 2>&1)
  rc=$?
  V_MX="$(state $rc)"
  L_MX="$(oneline <<<"$out")"
}

run_posttls() { # domain
  local out
  out=$(MAIL_CONFIG=$DNSLAB_POSTFIX_CONFIG_DIR in_lab timeout 30 posttls-finger -c -t 5 -T 5 \
    -l dane -o dnssec_probe= -F "$DNSLAB_CA_FILE" "$1:$PORT" 2>&1)
  out=${out//posttls-finger: /}
  local key
  key=$(grep -E 'Matched DANE|verification failed|unusable|lookup (problem|failed|error)|Failed to establish' <<<"$out" | tail -n 1)
  if grep -q 'Verified TLS connection' <<<"$out"; then
    if grep -q 'Matched DANE EE' <<<"$out"; then V_PT="Verified (DANE-EE)"
    elif grep -q 'Matched DANE TA' <<<"$out"; then V_PT="Verified (DANE-TA)"
    else V_PT="Verified (PKIX: no TLSA used)"; key=$(grep 'matched peername' <<<"$out" | tail -n 1)
    fi
  elif grep -q 'Trusted TLS connection' <<<"$out"; then
    if grep -q 'all TLSA records unusable' <<<"$out"; then V_PT="TLS unauthenticated (TLSA unusable)"
    else V_PT="Trusted (no name match)"
    fi
  elif grep -q 'Untrusted TLS connection' <<<"$out"; then V_PT="Untrusted: defer"
  elif grep -q -E 'Failed to establish|lookup failed' <<<"$out"; then V_PT="Lookup failure: defer"
  else V_PT="?"
  fi
  [[ -n $key ]] || key=$(tail -n 1 <<<"$out")
  L_PT="$(cut -c1-260 <<<"$key")"
}

run_check_ssl_cert() { # host [extra options]: sets V_SC, L_SC
  local out rc h=$1
  shift
  out=$(in_lab timeout 60 "$CHECK_SSL_CERT" -H "$h" -p "$PORT" -P smtp --dane \
    --rootcert-file "$DNSLAB_CA_FILE" --ignore-ocsp --ignore-sct -t 20 "$@" 2>&1)
  rc=$?
  V_SC="$(state $rc)"
  L_SC="$(grep -E '^SSL_CERT ' <<<"$out" | oneline)"
  [[ -n $L_SC ]] || L_SC="$(oneline <<<"$out")"
}

CASES=(DANE_EE DANE_TA DANE_STALE DANE_ROLLOVER DANE_UNSIGNED DANE_BOGUS BOGUS TLSA_BADLEN
  MXCNAME STS_ENFORCE NOMX)
declare -A what=(
  [DANE_EE]="TLSA 3 1 1, self-signed leaf"
  [DANE_TA]="TLSA 2 0 1 of a private CA"
  [DANE_STALE]="TLSA of the key before a renewal"
  [DANE_ROLLOVER]="TLSA current + next key"
  [DANE_UNSIGNED]="TLSA in an unsigned zone"
  [DANE_BOGUS]="TLSA RRSIGs expired"
  [BOGUS]="whole zone bogus"
  [TLSA_BADLEN]="3 1 1 with a 2-byte digest"
  [MXCNAME]="MX is a CNAME; TLSA at target"
  [STS_ENFORCE]="no TLSA (MTA-STS)"
  [NOMX]="no MX, no TLSA"
)
compare() { # case domain: run the three tools, fill row[case] and detail[case]
  local c=$1 d=$2 h v_sc l_sc
  h=$(mx_host "$d")
  run_check_mx "$d"
  run_posttls "$d"
  run_check_ssl_cert "$h"
  v_sc=$V_SC l_sc=$L_SC
  run_check_ssl_cert "$h" --ignore-host-cn --ignore-exp
  local label=${d%%."$DNSLAB_PARENT_ZONE"}
  [[ $c == EE_* || $c == TA_* ]] && label="${c,,} (variant of $label)"
  row[$c]="| $label | ${what[$c]} | $V_MX | $V_PT | $v_sc | $V_SC |"
  # shellcheck disable=SC2016 # backquotes are Markdown
  detail[$c]=$(printf -- '- **%s**: %s (check_ssl_cert -H %s)\n  - check_mx: `%s`\n  - posttls-finger: `%s`\n  - check_ssl_cert: `%s`\n  - check_ssl_cert --ignore-host-cn --ignore-exp: `%s`\n' \
    "$label" "$d" "$h" "$L_MX" "$L_PT" "$l_sc" "$L_SC")
}

# --- the lab's cases ---------------------------------------------------------------------
declare -A row detail
for c in "${CASES[@]}"; do
  v=DNSLAB_DOMAIN_$c
  compare "$c" "${!v}"
done

# --- certificate variants (--variants) -----------------------------------------------------
VARIANTS=(EE_WRONGNAME EE_EXPIRED TA_WRONGNAME TA_NEXTHOP TA_EXPIRED)
what+=(
  [EE_WRONGNAME]="dane-ee: same key, cert for wrong-name.example"
  [EE_EXPIRED]="dane-ee: same key, cert expired 2020-02-01"
  [TA_WRONGNAME]="dane-ta: leaf from the TA for wrong-name.example"
  [TA_NEXTHOP]="dane-ta: leaf names only the next-hop domain"
  [TA_EXPIRED]="dane-ta: leaf from the TA, expired 2020-02-01"
)
served_fp() { # addr: SHA-256 fingerprint of the leaf the listener sends
  echo QUIT | timeout 5 openssl s_client -starttls smtp -connect "$1:$PORT" 2>/dev/null \
    | openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
use_cert() { # listener-cert-name addr key chain: switch that listener, wait until it serves it
  local cf=$DNSLAB_POSTFIX_CONFIG_DIR/master.cf c=$DNSLAB_DIR/certs want i
  cp -p "$master_saved" "$cf"
  sed -i "s|$c/$1.key,$c/$1.chain.pem|$3,$4|" "$cf"
  grep -qF "$3,$4" "$cf" || { echo "mx_compare: no listener for $1 in $cf" >&2; exit 1; }
  touch -d '-60 sec' "$cf" # postfix waits for config files a second or more old
  postfix -c "$DNSLAB_POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1
  want=$(openssl x509 -in "$4" -noout -fingerprint -sha256)
  for ((i = 0; i < 50; i++)); do [[ $(served_fp "$2") == "$want" ]] && return 0; sleep 0.2; done
  echo "mx_compare: $2 does not serve $4 after reload" >&2
  exit 1
}
if ((variants)); then
  command -v python3 >/dev/null || { echo "mx_compare: --variants needs python3" >&2; exit 1; }
  master_saved=$work/master.cf.orig
  cp -p "$DNSLAB_POSTFIX_CONFIG_DIR/master.cf" "$master_saved"
  mkdir -m 700 "$work/v"
  cat >"$work/mkcerts.py" <<'EOF'
import datetime as dt, os, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
certs, out, parent = sys.argv[1:4]
key_of = lambda p: serialization.load_pem_private_key(open(p, 'rb').read(), None)
now = dt.datetime.now(dt.timezone.utc)
ok = (now - dt.timedelta(hours=1), now + dt.timedelta(days=90))
old = (dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2020, 2, 1, tzinfo=dt.timezone.utc))
ca = x509.load_pem_x509_certificate(open(f'{certs}/dane-ca.pem', 'rb').read())
ca_key = key_of(f'{certs}/dane-ca.key')
def make(name, key, dns, signer, dates):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)])
    cert = (x509.CertificateBuilder().subject_name(subject)
            .issuer_name(ca.subject if signer else subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(dates[0]).not_valid_after(dates[1])
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key if signer else key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    if signer: pem += ca.public_bytes(serialization.Encoding.PEM)  # DANE-TA: send the TA too
    open(f'{out}/{name}.chain.pem', 'wb').write(pem)
    with open(os.open(f'{out}/{name}.key', os.O_WRONLY | os.O_CREAT, 0o600), 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
ee_key = key_of(f'{certs}/mx-dane-ee.key')  # the key TLSA 3 1 1 of dane-ee names
new = lambda: ec.generate_private_key(ec.SECP256R1())
make('EE_WRONGNAME', ee_key, 'wrong-name.example', False, ok)
make('EE_EXPIRED', ee_key, f'mx.dane-ee.{parent}', False, old)
make('TA_WRONGNAME', new(), 'wrong-name.example', True, ok)
make('TA_NEXTHOP', new(), f'dane-ta.{parent}', True, ok)
make('TA_EXPIRED', new(), f'mx.dane-ta.{parent}', True, old)
EOF
  python3 "$work/mkcerts.py" "$DNSLAB_DIR/certs" "$work/v" "$DNSLAB_PARENT_ZONE" \
    || { echo "mx_compare: making the variant certificates failed" >&2; exit 1; }
  for c in "${VARIANTS[@]}"; do
    case $c in
      EE_*) use_cert mx-dane-ee "$DNSLAB_ADDR_DANE_EE" "$work/v/$c.key" "$work/v/$c.chain.pem"
        d=$DNSLAB_DOMAIN_DANE_EE ;;
      TA_*) use_cert mx-dane-ta "$DNSLAB_ADDR_DANE_TA" "$work/v/$c.key" "$work/v/$c.chain.pem"
        d=$DNSLAB_DOMAIN_DANE_TA ;;
    esac
    compare "$c" "$d"
  done
  CASES+=("${VARIANTS[@]}")
fi

echo "| case | what | check_mx | posttls-finger -l dane | check_ssl_cert --dane | check_ssl_cert --dane --ignore-host-cn --ignore-exp |"
echo "|---|---|---|---|---|---|"
for c in "${CASES[@]}"; do echo "${row[$c]}"; done
echo
echo "One-line outputs (parent zone $DNSLAB_PARENT_ZONE, port $PORT):"
echo
for c in "${CASES[@]}"; do echo "${detail[$c]}"; done
