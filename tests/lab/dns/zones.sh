# shellcheck shell=bash
# Sourced by tests/lab/dnslab. The lab's zones, their DNSSEC keys and signatures
# (RFC 4033-4035), the parent's DS records and Unbound's trust anchor.
#
# Every zone has one ECDSA P-256 key (algorithm 13) with the SEP flag that signs everything
# (a combined signing key): the lab needs valid, missing and expired chains, not key roles.
# Keys are made at the first `up` of a lab directory; signatures are made at every start,
# valid from an hour ago for SIG_DAYS days, except where a case wants them expired.

KEYS=$DIR/keys
# The cases of check_mail_domain and check_dnsbl, each a function printing parent-zone names.
# shellcheck source=zones_spf.sh
. "$HERE/dns/zones_spf.sh"
# shellcheck source=zones_dmarc_dkim.sh
. "$HERE/dns/zones_dmarc_dkim.sh"
# shellcheck source=zones_dnsbl.sh
. "$HERE/dns/zones_dnsbl.sh"
SIG_DAYS=3

# Print the key's file base name (without .key/.private), making the key if it is missing.
zone_key() {
  local -a k
  k=("$KEYS/K$1.+013+"*.key)
  if [[ ! -e ${k[0]} ]]; then
    mkdir -p "$KEYS"
    k=("$KEYS/$(dnssec-keygen -q -a ECDSAP256SHA256 -f KSK -K "$KEYS" -n ZONE "$1").key") \
      || die "dnssec-keygen failed for $1"
  fi
  echo "${k[0]%.key}"
}

# The zone's DS record (SHA-256 digest, RFC 4509), written by dnssec-signzone -d.
ds_of() { cat "$KEYS/dsset-$1."; }

# sign ZONE MODE: $DIR/zones/ZONE.zone -> ZONE.signed (the file NSD serves).
#   good          signatures valid now
#   expired       every signature expired in 2020: the zone is bogus (RFC 4035 section 5.3.1)
#   tlsa-expired  valid, but the TLSA records' signatures expired: only they are bogus
#   none          served unsigned; the parent has no DS, so it is insecure, not bogus
sign() {
  local zone=$1 mode=$2 src=$DIR/zones/$1.zone out=$DIR/zones/$1.signed key
  if [[ $mode == none ]]; then
    cp "$src" "$out"
    return
  fi
  key=$(zone_key "$zone")
  cat "$key.key" >>"$src"
  # -z: the SEP key signs every RRset; -P: no self-check, which rejects expired signatures;
  # -O full: one record per line, for the merge below.
  signzone() { # output start end [-P]
    dnssec-signzone -q -z -O full -d "$KEYS" -K "$KEYS" -o "$zone" -f "$1" -s "$2" -e "$3" \
      "${@:4}" "$src" "$key" >>"$LOGS/signzone.log" 2>&1 \
      || { show_logs "$LOGS/signzone.log"; die "dnssec-signzone failed for $zone"; }
  }
  case $mode in
    good) signzone "$out" "$SIG_START" "$SIG_END" ;;
    expired) signzone "$out" 20200101000000 20200201000000 -P ;;
    tlsa-expired)
      signzone "$out.good" "$SIG_START" "$SIG_END"
      signzone "$out.expired" 20200101000000 20200201000000 -P
      # The good zone with its TLSA signatures swapped for expired ones (same key).
      awk 'FNR == NR { if ($4 == "RRSIG" && $5 == "TLSA") keep[++n] = $0; next }
           !($4 == "RRSIG" && $5 == "TLSA") { print }
           END { for (i = 1; i <= n; i++) print keep[i] }' "$out.expired" "$out.good" >"$out"
      rm -f "$out.good" "$out.expired"
      ;;
  esac
}

head_of() { # zone: $ORIGIN, TTL, SOA, NS (short TTLs: tests restart the lab, caches are short)
  # shellcheck disable=SC2016 # zone file syntax, not shell
  printf '$ORIGIN %s.\n$TTL 60\n' "$1"
  printf '@ SOA ns.%s. hostmaster.%s. %s 3600 600 86400 60\n' "$PARENT" "$PARENT" "$SERIAL"
  printf '@ NS ns.%s.\n' "$PARENT"
}

# A DANE child zone: MX -> mx.ZONE -> ADDR, with the TLSA records given, at _25._tcp.mx
# (RFC 7672 section 2.2.3: where senders look) and at _SMTP_PORT._tcp.mx, where check_mx
# --port SMTP_PORT looks for the lab's MX hosts, which listen on that port.
dane_zone() { # zone addr "usage selector type data"...
  local z=$1 addr=$2 t
  shift 2
  head_of "$z"
  printf '@ MX 10 mx\nmx A %s\n' "$addr"
  for t in "$@"; do printf '_25._tcp.mx TLSA %s\n_%s._tcp.mx TLSA %s\n' "$t" "$SMTP_PORT" "$t"; done
  printf '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@%s"\n' "$z"
}

# An MTA-STS domain (RFC 8461 section 3.1: the TXT record at _mta-sts, the policy host
# mta-sts.<domain>), its MX on the PKIX address. Absolute names: these live in the parent.
sts_names() { # domain id...
  local d=$1 id
  shift
  printf '%s. MX 10 mx.%s.\nmx.%s. A %s\n' "$d" "$d" "$d" "$ADDR_PKIX"
  for id in "$@"; do printf '_mta-sts.%s. TXT "v=STSv1; id=%s;"\n' "$d" "$id"; done
  printf 'mta-sts.%s. A %s\n' "$d" "$MTA_STS_ADDR"
}

parent_zone() {
  local z t i id=$SERIAL m=$DOM_STS_MISSING_MX
  head_of "$PARENT"
  printf 'ns A 127.0.0.1\n'
  # Delegations: with DS secure (RFC 4035 section 5.2), without DS insecure.
  for z in "$DOM_DANE_EE" "$DOM_DANE_TA" "$DOM_DANE_STALE" "$DOM_DANE_ROLLOVER" \
    "$DOM_DANE_BOGUS" "$DOM_BOGUS" "$DOM_DANE_UNSIGNED"; do
    printf '%s. NS ns.%s.\n' "$z" "$PARENT"
    [[ $z == "$DOM_DANE_UNSIGNED" ]] || ds_of "$z"
  done
  for z in "$DOM_STS_ENFORCE" "$DOM_STS_TESTING" "$DOM_STS_NONE" "$DOM_STS_OVERSIZED" \
    "$DOM_STS_REDIRECT" "$DOM_STS_BADCERT" "$DOM_STS_EXPIRED"; do
    sts_names "$z" "$id"
  done
  # RFC 8461 section 3.1: more than one v=STSv1 record means no policy at all.
  sts_names "$DOM_STS_TWOTXT" "${id}a" "${id}b"
  sts_names "$DOM_STS_GARBAGE" "$id"
  # The policy names mx1 only; mail also goes to mx2.
  printf '%s. MX 10 mx1.%s.\n%s. MX 20 mx2.%s.\n' "$m" "$m" "$m" "$m"
  printf 'mx1.%s. A %s\nmx2.%s. A %s\n' "$m" "$ADDR_PKIX" "$m" "$ADDR_PKIX"
  printf '_mta-sts.%s. TXT "v=STSv1; id=%s;"\nmta-sts.%s. A %s\n' "$m" "$id" "$m" "$MTA_STS_ADDR"
  # RFC 8460 section 3: rua is a list of mailto: or https: URIs; a bare address is not one.
  printf '_smtp._tls.%s. TXT "v=TLSRPTv1; rua=mailto:tlsrpt@%s"\n' "$DOM_TLSRPT_GOOD" "$PARENT"
  z=$DOM_TLSRPT_BROKEN
  printf '%s. MX 10 mx.%s.\nmx.%s. A %s\n' "$z" "$z" "$z" "$ADDR_PKIX"
  printf '_smtp._tls.%s. TXT "v=TLSRPTv1; rua=tlsrpt@%s"\n' "$z" "$PARENT"
  # RFC 7505: null MX, the domain accepts no mail.
  printf '%s. MX 0 .\n' "$DOM_NULLMX"
  # RFC 5321 section 5.1: no MX, so the domain's own address is the implicit MX.
  printf '%s. A %s\n' "$DOM_NOMX" "$ADDR_PKIX"
  # RFC 2181 section 10.3: an MX must not name an alias; this one does.
  z=$DOM_MXCNAME
  printf '%s. MX 10 mx.%s.\nmx.%s. CNAME host.%s.\nhost.%s. A %s\n' "$z" "$z" "$z" "$z" "$z" \
    "$ADDR_PKIX"
  # A secure alias's TLSA base domain is its canonical name first (RFC 7671 section 7).
  t="3 1 1 $(tlsa_3_1_1 "$CERTS/mx-pkix.pem")"
  printf '_25._tcp.host.%s. TLSA %s\n_%s._tcp.host.%s. TLSA %s\n' "$z" "$t" "$SMTP_PORT" "$z" "$t"
  # RFC 6698 section 2.1.3 / RFC 7671 section 5.1: SHA2-256 data is 32 bytes; 2 is unusable.
  z=$DOM_TLSA_BADLEN
  printf '%s. MX 10 mx.%s.\nmx.%s. A %s\n' "$z" "$z" "$z" "$ADDR_PKIX"
  printf '_%s._tcp.mx.%s. TLSA 3 1 1 abcd\n' "$SMTP_PORT" "$z"
  # 500 MX records: far over UDP's size, so the answer comes over TCP; each host has an A.
  z=$DOM_MANYMX
  for ((i = 1; i <= 500; i++)); do
    printf '%s. MX %d mx%d.%s.\nmx%d.%s. A %s\n' "$z" "$i" "$i" "$z" "$i" "$z" "$ADDR_PKIX"
  done
  # An MX whose AAAA (::1) has no listener on the SMTP port; its A has one.
  z=$DOM_V6DEAD
  printf '%s. MX 10 mx.%s.\nmx.%s. A %s\nmx.%s. AAAA ::1\n' "$z" "$z" "$z" "$ADDR_PKIX" "$z"
  # An MX with only that AAAA: no MX host can be reached.
  printf '%s. MX 10 mx.%s.\nmx.%s. AAAA ::1\n' "$DOM_V6ONLY" "$DOM_V6ONLY" "$DOM_V6ONLY"
  # For bench/mx_bench.sh: four MX hosts of two addresses each, every one listening.
  z=$DOM_BENCH
  local pair=("$ADDR_DANE_EE $ADDR_PKIX" "$ADDR_DANE_TA $ADDR_DANE_STALE"
    "$ADDR_DANE_ROLLOVER $ADDR_DANE_UNSIGNED" "$ADDR_BOGUS $ADDR_PKIX")
  for i in 1 2 3 4; do
    read -r a b <<<"${pair[$((i - 1))]}"
    printf '%s. MX %d mx%d.%s.\nmx%d.%s. A %s\nmx%d.%s. A %s\n' "$z" $((i * 10)) "$i" "$z" \
      "$i" "$z" "$a" "$i" "$z" "$b"
  done
  spf_names
  dmarc_dkim_names
  dnsbl_names
}

# The names the MX at ADDR_PKIX answers for (the SANs of its certificate).
pkix_mx_names() {
  local d
  for d in "${STS_ALL_DOMAINS[@]}" "$DOM_TLSRPT_BROKEN" "$DOM_MXCNAME" "$DOM_V6DEAD" \
    "$DOM_V6ONLY" "$DOM_TLSA_BADLEN"; do
    [[ $d == "$DOM_STS_MISSING_MX" ]] || echo "mx.$d"
  done
  echo "mx1.$DOM_STS_MISSING_MX" "mx2.$DOM_STS_MISSING_MX" "host.$DOM_MXCNAME" "$DOM_NOMX"
}

make_zones() {
  local c=$CERTS
  SERIAL=$(date +%s)
  SIG_START=$(date -u -d '-1 hour' +%Y%m%d%H%M%S)
  SIG_END=$(date -u -d "+$SIG_DAYS days" +%Y%m%d%H%M%S)
  rm -f "$DIR/zones"/*
  dane_zone "$DOM_DANE_EE" "$ADDR_DANE_EE" "3 1 1 $(tlsa_3_1_1 "$c/mx-dane-ee.pem")" \
    >"$DIR/zones/$DOM_DANE_EE.zone"
  dane_zone "$DOM_DANE_TA" "$ADDR_DANE_TA" "2 0 1 $(tlsa_2_0_1 "$c/dane-ca.pem")" \
    >"$DIR/zones/$DOM_DANE_TA.zone"
  dane_zone "$DOM_DANE_STALE" "$ADDR_DANE_STALE" "3 1 1 $(tlsa_3_1_1 "$c/mx-dane-stale-old.pem")" \
    >"$DIR/zones/$DOM_DANE_STALE.zone"
  dane_zone "$DOM_DANE_ROLLOVER" "$ADDR_DANE_ROLLOVER" \
    "3 1 1 $(tlsa_3_1_1 "$c/mx-dane-rollover.pem")" \
    "3 1 1 $(tlsa_3_1_1 "$c/next-mx-dane-rollover.pem")" >"$DIR/zones/$DOM_DANE_ROLLOVER.zone"
  dane_zone "$DOM_DANE_UNSIGNED" "$ADDR_DANE_UNSIGNED" \
    "3 1 1 $(tlsa_3_1_1 "$c/mx-dane-unsigned.pem")" >"$DIR/zones/$DOM_DANE_UNSIGNED.zone"
  dane_zone "$DOM_DANE_BOGUS" "$ADDR_BOGUS" "3 1 1 $(tlsa_3_1_1 "$c/mx-bogus.pem")" \
    >"$DIR/zones/$DOM_DANE_BOGUS.zone"
  dane_zone "$DOM_BOGUS" "$ADDR_BOGUS" "3 1 1 $(tlsa_3_1_1 "$c/mx-bogus.pem")" \
    >"$DIR/zones/$DOM_BOGUS.zone"

  sign "$DOM_DANE_EE" good
  sign "$DOM_DANE_TA" good
  sign "$DOM_DANE_STALE" good
  sign "$DOM_DANE_ROLLOVER" good
  sign "$DOM_DANE_UNSIGNED" none
  sign "$DOM_DANE_BOGUS" tlsa-expired
  sign "$DOM_BOGUS" expired
  # The parent last: it carries the children's DS records.
  parent_zone >"$DIR/zones/$PARENT.zone"
  sign "$PARENT" good
  # Unbound's trust anchor: the parent's DS (RFC 4033 section 2, "Trust Anchor").
  ds_of "$PARENT" >"$DIR/unbound/trust-anchor.ds"
  chmod 0644 "$DIR/zones"/* "$DIR/unbound/trust-anchor.ds"
}

nsd_zone_blocks() {
  local z
  for z in "$PARENT" "$DOM_DANE_EE" "$DOM_DANE_TA" "$DOM_DANE_STALE" "$DOM_DANE_ROLLOVER" \
    "$DOM_DANE_UNSIGNED" "$DOM_DANE_BOGUS" "$DOM_BOGUS"; do
    printf '\nzone:\n\tname: "%s"\n\tzonefile: "%s.signed"\n' "$z" "$z"
  done
}
