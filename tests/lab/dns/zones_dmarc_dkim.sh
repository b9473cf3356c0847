# shellcheck shell=bash
# Sourced by tests/lab/dns/zones.sh: the DMARC, DKIM and BIMI cases of check_mail_domain,
# names in the parent zone (signed, so every answer is DNSSEC-secure).
#
# The organizational domain (RFC 7489 section 3.2) comes from a lab suffix list,
# $DIR/public_suffix_list.dat (DNSLAB_PUBLIC_SUFFIX_FILE): with the real list every lab name
# would have lab.mailprobe-lab as its organizational domain; the lab list makes that a
# public suffix, so dmarc-org.lab.mailprobe-lab is the organizational domain of
# sub.dmarc-org.lab.mailprobe-lab, as example.org is of sub.example.org.
#
# DKIM keys are made at the first `up` of a lab directory and kept in $DIR/dkim (private
# keys too, for opendkim-testkey -k): RSA 512, 1024, 2048 and Ed25519. The selectors of
# DOM_DKIM:
#   rsa2048   RSA 2048, two TXT strings (over 255 bytes)    OK
#   rsa1024   RSA 1024                                      WARNING (RFC 8301: 2048)
#   rsa512    RSA 512                                       CRITICAL (under 1024)
#   ed25519   Ed25519 raw key (RFC 8463)                    OK
#   testing   RSA 2048 with t=y                             WARNING
#   revoked   empty p=                                      CRITICAL
#   garbage   p= that is not base64                         CRITICAL
#   oddsplit  RSA 2048 split in 5 strings mid-token         OK (strings join without space)
#   absent    no record                                     CRITICAL
#   twotxt    two TXT records (RFC 6376 3.6.2.2: undefined) CRITICAL
#   sha1only  h=sha1 (RFC 8301 section 3.1: sha1 refused)   CRITICAL
#   edspki    Ed25519 key as SubjectPublicKeyInfo, not raw  CRITICAL

# shellcheck disable=SC2034 # each becomes DNSLAB_DOMAIN_* in dnslab.env
{
  DOM_DMARC_REJECT=dmarc-reject.$PARENT       # p=reject, rua in its own domain
  DOM_DMARC_MISSING=dmarc-missing.$PARENT     # no _dmarc record, nor at its org. domain (itself)
  DOM_DMARC_INVALID=dmarc-invalid.$PARENT     # p=rejct, no rua: receivers apply no policy
  DOM_DMARC_GARBAGE=dmarc-garbage.$PARENT     # v=DMARC1 then control bytes
  DOM_DMARC_TWO=dmarc-two.$PARENT             # two v=DMARC1 records: none applies
  DOM_DMARC_MANYTXT=dmarc-manytxt.$PARENT     # 300 TXT records at _dmarc, one of them DMARC
  DOM_DMARC_WEAK=dmarc-weak.$PARENT           # p=none: weaker than --dmarc-policy quarantine
  DOM_DMARC_PCT=dmarc-pct.$PARENT             # p=quarantine; pct=50
  DOM_DMARC_ORG=dmarc-org.$PARENT             # p=reject; sp=quarantine (an org. domain)
  DOM_DMARC_INHERITED=sub.dmarc-org.$PARENT   # no record: sp=quarantine of DMARC_ORG applies
  DOM_DMARC_REPORTS=dmarc-reports.$PARENT     # a report receiver, authorizes DMARC_EXT_AUTH only
  DOM_DMARC_EXT_AUTH=dmarc-ext-auth.$PARENT   # rua at DMARC_REPORTS, authorized (RFC 7489 7.1)
  DOM_DMARC_EXT_UNAUTH=dmarc-ext-unauth.$PARENT # rua at DMARC_REPORTS, not authorized
  DOM_DKIM=dkim.$PARENT                       # the DKIM selectors listed above
  DOM_BIMI=bimi.$PARENT                       # BIMI logo + evidence, DMARC p=reject
  DOM_BIMI_BAD=bimi-bad.$PARENT               # BIMI l= http: and .png; DMARC p=none
}

DKIM_DIR=$DIR/dkim

# A TXT record of `text` in strings of at most `size` bytes (RFC 1035 section 3.3.14).
dmarc_dkim_txt() { # name text [size]
  local name=$1 text=$2 size=${3:-255} out='' i
  for ((i = 0; i < ${#text}; i += size)); do out+=" \"${text:i:size}\""; done
  [[ -n $out ]] || out=' ""'
  printf '%s. TXT%s\n' "$name" "$out"
}

# Makes the DKIM keys that are missing (stderr to the lab's log: stdout is the zone).
dkim_keys() {
  local k
  mkdir -p "$DKIM_DIR" || die "cannot make $DKIM_DIR"
  for k in rsa512 rsa1024 rsa2048 testing oddsplit ed25519; do
    [[ -s $DKIM_DIR/$k.key ]] && continue
    case $k in
      rsa512) set -- -algorithm RSA -pkeyopt rsa_keygen_bits:512 ;;
      rsa1024) set -- -algorithm RSA -pkeyopt rsa_keygen_bits:1024 ;;
      rsa2048 | testing | oddsplit) set -- -algorithm RSA -pkeyopt rsa_keygen_bits:2048 ;;
      ed25519) set -- -algorithm ED25519 ;;
    esac
    if ! (umask 077 && openssl genpkey "$@" -out "$DKIM_DIR/$k.key.tmp") >>"$LOGS/openssl.log" 2>&1
    then
      die "openssl genpkey failed for the DKIM key $k (see $LOGS/openssl.log)"
    fi
    mv "$DKIM_DIR/$k.key.tmp" "$DKIM_DIR/$k.key" || die "cannot write $DKIM_DIR/$k.key"
  done
}

# The p= value of a key: base64 of the SubjectPublicKeyInfo (RSA), or of the raw 32-byte
# key, the last 32 bytes of the SubjectPublicKeyInfo (Ed25519, RFC 8463 section 4).
dkim_p() { # key-name
  local der
  der=$(openssl pkey -in "$DKIM_DIR/$1.key" -pubout -outform DER 2>>"$LOGS/openssl.log" | base64 -w0) \
    || die "openssl pkey failed for the DKIM key $1"
  if [[ $1 == ed25519 ]]; then
    base64 -d <<<"$der" | tail -c 32 | base64 -w0
  else
    printf '%s' "$der"
  fi
}

# The lab's public suffix list: the lab's parent's labels are public suffixes.
dmarc_lab_suffixes() {
  printf '// The DNS lab'"'"'s public suffix list (tests/lab/dns/zones_dmarc_dkim.sh)\n%s\n%s\n' \
    "${PARENT#*.}" "$PARENT" >"$DIR/public_suffix_list.dat" \
    || die "cannot write $DIR/public_suffix_list.dat"
}

dmarc_dkim_names() {
  local d i k v
  local -A p
  dkim_keys
  dmarc_lab_suffixes
  # Each domain exists (an A record, its implicit MX) and sends no mail (SPF -all, RFC 7208
  # section 10.1.2), so only what its case is about is wrong with it.
  for v in "${!DOM_DMARC_@}" DOM_DKIM "${!DOM_BIMI@}"; do
    printf '%s. A 127.0.0.20\n%s. TXT "v=spf1 -all"\n' "${!v}" "${!v}"
  done
  dmarc_dkim_txt "_dmarc.$DOM_DMARC_REJECT" "v=DMARC1; p=reject; rua=mailto:dmarc@$DOM_DMARC_REJECT"
  dmarc_dkim_txt "_dmarc.$DOM_DMARC_INVALID" "v=DMARC1; p=rejct"
  # \001 \002 \255: decimal zone-file escapes (RFC 1035 section 5.1) of non-text bytes.
  printf '_dmarc.%s. TXT "v=DMARC1; \\001\\002\\255 garbage; p=reject"\n' "$DOM_DMARC_GARBAGE"
  dmarc_dkim_txt "_dmarc.$DOM_DMARC_TWO" "v=DMARC1; p=reject"
  dmarc_dkim_txt "_dmarc.$DOM_DMARC_TWO" "v=DMARC1; p=none"
  for ((i = 1; i < 300; i++)); do
    dmarc_dkim_txt "_dmarc.$DOM_DMARC_MANYTXT" "site-verification=$i"
  done
  dmarc_dkim_txt "_dmarc.$DOM_DMARC_MANYTXT" "v=DMARC1; p=quarantine"
  dmarc_dkim_txt "_dmarc.$DOM_DMARC_WEAK" "v=DMARC1; p=none; rua=mailto:dmarc@$DOM_DMARC_WEAK"
  dmarc_dkim_txt "_dmarc.$DOM_DMARC_PCT" "v=DMARC1; p=quarantine; pct=50"
  dmarc_dkim_txt "_dmarc.$DOM_DMARC_ORG" "v=DMARC1; p=reject; sp=quarantine"
  # RFC 7489 section 7.1: the report receiver authorizes one sender domain.
  dmarc_dkim_txt "_dmarc.$DOM_DMARC_REPORTS" "v=DMARC1; p=reject"
  dmarc_dkim_txt "$DOM_DMARC_EXT_AUTH._report._dmarc.$DOM_DMARC_REPORTS" "v=DMARC1"
  for d in "$DOM_DMARC_EXT_AUTH" "$DOM_DMARC_EXT_UNAUTH"; do
    dmarc_dkim_txt "_dmarc.$d" "v=DMARC1; p=reject; rua=mailto:agg@$DOM_DMARC_REPORTS"
  done

  d=$DOM_DKIM
  for k in rsa512 rsa1024 rsa2048 testing oddsplit ed25519; do
    p[$k]=$(dkim_p "$k") || exit 1 # dkim_p said why
  done
  dmarc_dkim_txt "rsa2048._domainkey.$d" "v=DKIM1; k=rsa; p=${p[rsa2048]}"
  dmarc_dkim_txt "rsa1024._domainkey.$d" "v=DKIM1; k=rsa; p=${p[rsa1024]}"
  dmarc_dkim_txt "rsa512._domainkey.$d" "v=DKIM1; k=rsa; p=${p[rsa512]}"
  dmarc_dkim_txt "ed25519._domainkey.$d" "v=DKIM1; k=ed25519; p=${p[ed25519]}"
  dmarc_dkim_txt "testing._domainkey.$d" "v=DKIM1; k=rsa; t=y; p=${p[testing]}"
  dmarc_dkim_txt "revoked._domainkey.$d" "v=DKIM1; k=rsa; p="
  dmarc_dkim_txt "garbage._domainkey.$d" "v=DKIM1; k=rsa; p=!!this-is-not-base64!!"
  dmarc_dkim_txt "oddsplit._domainkey.$d" "v=DKIM1; k=rsa; p=${p[oddsplit]}" 97
  dmarc_dkim_txt "twotxt._domainkey.$d" "v=DKIM1; k=rsa; p=${p[rsa1024]}"
  dmarc_dkim_txt "twotxt._domainkey.$d" "v=DKIM1; k=rsa; p=${p[rsa2048]}"
  dmarc_dkim_txt "sha1only._domainkey.$d" "v=DKIM1; k=rsa; h=sha1; p=${p[rsa2048]}"
  dmarc_dkim_txt "edspki._domainkey.$d" "v=DKIM1; k=ed25519; p=$(openssl pkey \
    -in "$DKIM_DIR/ed25519.key" -pubout -outform DER 2>>"$LOGS/openssl.log" | base64 -w0)"

  dmarc_dkim_txt "_dmarc.$DOM_BIMI" "v=DMARC1; p=reject"
  dmarc_dkim_txt "default._bimi.$DOM_BIMI" \
    "v=BIMI1; l=https://$DOM_BIMI/logo.svg; a=https://$DOM_BIMI/vmc.pem"
  dmarc_dkim_txt "_dmarc.$DOM_BIMI_BAD" "v=DMARC1; p=none"
  dmarc_dkim_txt "default._bimi.$DOM_BIMI_BAD" "v=BIMI1; l=http://$DOM_BIMI_BAD/logo.png"
}
