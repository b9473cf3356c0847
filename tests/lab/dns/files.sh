# shellcheck shell=bash
# Sourced by tests/lab/dnslab (uses its variables: DIR, HERE, ports, MX_* addresses, paths).
# Certificates (made only when missing or about to expire, so TLSA records stay put between
# runs), daemon configs from the templates next to this file, MTA-STS policies, and
# dnslab.env. Zones and DNSSEC keys are in zones.sh.

DNS_TEMPLATES=$HERE/dns

# Postfix sleeps until main.cf and master.cf are a second or more old (a guard against
# half-written files); generated files get an mtime in the past instead.
backdate() { touch -d "@$(($(date +%s) - 60))" "$@"; }

render() { # template destination: fill in the @...@ placeholders
  sed -e "s|@DIR@|$DIR|g" -e "s|@AUTH_PORT@|$AUTH_PORT|g" \
    -e "s|@RESOLVER_PORT@|$RESOLVER_PORT|g" -e "s|@SMTP_PORT@|$SMTP_PORT|g" \
    -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" -e "s|@MTA_STS_ADDR@|$MTA_STS_ADDR|g" \
    -e "s|@PARENT@|$PARENT|g" "$1" >"$2.tmp"
  if grep -n '@[A-Z0-9_]*@' "$2.tmp" >&2; then die "unreplaced placeholder in $1"; fi
  mv "$2.tmp" "$2"
}

# --- certificates ------------------------------------------------------------------------

# In make_certs' subshell set -e is off (its status is tested): every step dies itself.
ossl() { openssl "$@" 2>>"$LOGS/openssl.log" || die "openssl $1 failed (see $LOGS/openssl.log)"; }

# Reissued when missing, older than HORIZON (certificates last 90 days, the CAs 365), or
# made for other names (NAME.san): otherwise kept, so TLSA records stay put between runs.
# Ages come from file times: one `touch` instead of an openssl run per certificate.
cert_ok() { # name [san]
  [[ -s $CERTS/$1.pem && -s $CERTS/$1.key && $CERTS/$1.pem -nt $CERTS/.horizon ]] \
    && [[ -z ${2:-} || $(<"$CERTS/$1.san") == "$2" ]] 2>/dev/null
}

# issue NAME ISSUER SAN...: a P-256 key and a 90-day certificate for the SANs (the first is
# also the CN). ISSUER is ca, dane-ca or self. NAME.chain.pem is what the server sends: the
# leaf, then the issuer (DANE-TA needs the trust anchor in the chain, RFC 7671 section 5.2.2).
issue() {
  local name=$1 issuer=$2 san
  local -a signer=(-extensions ext_selfsigned)
  shift 2
  san=$(printf 'DNS:%s,' "$@")
  san=${san%,}
  cert_ok "$name" "$san" && return 0
  export DNSLAB_SAN=$san
  [[ $issuer == self ]] \
    || signer=(-CA "$CERTS/$issuer.pem" -CAkey "$CERTS/$issuer.key" -extensions ext_leaf)
  ossl req -config "$DNS_TEMPLATES/openssl.cnf" -x509 -newkey ec \
    -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 90 -subj "/CN=$1" "${signer[@]}" \
    -keyout "$CERTS/$name.key" -out "$CERTS/$name.pem"
  if [[ $issuer == self ]]; then
    cat "$CERTS/$name.pem"
  else
    cat "$CERTS/$name.pem" "$CERTS/$issuer.pem"
  fi >"$CERTS/$name.chain.pem" || die "cannot write $name.chain.pem"
  echo "$san" >"$CERTS/$name.san"
}

make_ca() { # name subject-CN
  ossl req -config "$DNS_TEMPLATES/openssl.cnf" -x509 -new -newkey ec \
    -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 365 -subj "/O=mailprobe dnslab/CN=$2" \
    -extensions ext_ca -keyout "$CERTS/$1.key" -out "$CERTS/$1.pem"
}

make_certs() {
  export DNSLAB_CERT_DIR=$CERTS # read by openssl.cnf
  export DNSLAB_SAN=DNS:unused  # openssl.cnf needs a value even where no leaf is made
  mkdir -p "$CERTS"
  (
    umask 077 # keys 0600; certificates are chmod'ed below
    touch -d '-300 days' "$CERTS/.horizon" || die "cannot write $CERTS"
    if ! cert_ok ca || ! cert_ok dane-ca; then
      rm -rf "${CERTS:?}"/* # every leaf was signed by a CA that is gone
      make_ca ca "mailprobe dnslab CA"
      make_ca dane-ca "mailprobe dnslab DANE-only CA"
    fi
    touch -d '-80 days' "$CERTS/.horizon"
    issue mx-dane-ee self "mx.$DOM_DANE_EE"
    issue mx-dane-ta dane-ca "mx.$DOM_DANE_TA"
    # The stale case: TLSA records name the old key; the certificate was renewed with a new
    # one and the records were left behind. Made in this order so the old one is older.
    issue mx-dane-stale-old ca "mx.$DOM_DANE_STALE"
    issue mx-dane-stale ca "mx.$DOM_DANE_STALE"
    # The rollover case: TLSA records for the current and the next key (RFC 7671 section
    # 8.1, "current + next"); a test may switch the listener to the next certificate.
    issue mx-dane-rollover ca "mx.$DOM_DANE_ROLLOVER"
    issue next-mx-dane-rollover ca "mx.$DOM_DANE_ROLLOVER"
    issue mx-dane-unsigned ca "mx.$DOM_DANE_UNSIGNED"
    issue mx-bogus ca "mx.$DOM_BOGUS" "mx.$DOM_DANE_BOGUS"
    # shellcheck disable=SC2046 # one name per word
    issue mx-pkix ca $(pkix_mx_names)
    # shellcheck disable=SC2046
    issue mta-sts ca $(for d in "${STS_GOOD_DOMAINS[@]}"; do echo "mta-sts.$d"; done)
    issue mta-sts-wrongname ca "mta-sts.wrong-name.$PARENT"
    if [[ ! -s $CERTS/mta-sts-expired.pem ]]; then
      # `openssl req -x509` cannot backdate; `openssl ca` can, given its small database.
      export DNSLAB_SAN="DNS:mta-sts.$DOM_STS_EXPIRED"
      ossl req -config "$DNS_TEMPLATES/openssl.cnf" -new -newkey ec \
        -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=mta-sts.$DOM_STS_EXPIRED" \
        -keyout "$CERTS/mta-sts-expired.key" -out "$CERTS/mta-sts-expired.csr"
      rm -rf "$CERTS/ca-db" && mkdir "$CERTS/ca-db" && : >"$CERTS/ca-db/index.txt" \
        || die "cannot make $CERTS/ca-db"
      ossl ca -config "$DNS_TEMPLATES/openssl.cnf" -batch -notext -extensions ext_leaf \
        -startdate 20200101000000Z -enddate 20200201000000Z \
        -in "$CERTS/mta-sts-expired.csr" -out "$CERTS/mta-sts-expired.pem"
      rm -rf "$CERTS/ca-db" "$CERTS/mta-sts-expired.csr"
      cat "$CERTS/mta-sts-expired.pem" "$CERTS/ca.pem" >"$CERTS/mta-sts-expired.chain.pem" \
        || die "cannot write mta-sts-expired.chain.pem"
    fi
    chmod 0644 "$CERTS"/*.pem
  ) || { show_logs "$LOGS/openssl.log"; die "certificate generation failed in $CERTS"; }
}

# TLSA certificate association data (RFC 6698 section 2.1), as dig prints it: upper-case hex.
tlsa_3_1_1() { # SHA-256 of the certificate's SubjectPublicKeyInfo
  openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER \
    | sha256sum | cut -d' ' -f1 | tr a-f A-F
}
tlsa_2_0_1() { # SHA-256 of the whole (CA) certificate
  openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1 | tr a-f A-F
}

# --- MTA-STS policies (RFC 8461 section 3.2) ---------------------------------------------

policy() { # domain mode mx...: a policy with CRLF line ends, as in the RFC's example
  local d=$1 mode=$2 mx
  shift 2
  printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
  for mx in "$@"; do printf 'mx: %s\r\n' "$mx"; done
  printf 'max_age: 86400\r\n'
}

write_policies() {
  local d f i
  rm -rf "$DIR/www"
  for d in "${STS_ALL_DOMAINS[@]}"; do mkdir -p "$DIR/www/$d/.well-known"; done
  for d in "${STS_ALL_DOMAINS[@]}"; do
    f=$DIR/www/$d/.well-known/mta-sts.txt
    case $d in
      "$DOM_STS_TESTING") policy "$d" testing "*.$d" ;; # the wildcard form, RFC 8461 section 4.1
      "$DOM_STS_NONE") policy "$d" none ;;
      "$DOM_STS_MISSING_MX") policy "$d" enforce "mx1.$d" ;; # the MX mx2 is not listed
      "$DOM_STS_OVERSIZED")
        # Valid, but over the 64 KiB that a bounded client reads (DESIGN.md: bounded input):
        # the good MX first, then 2500 other mx lines.
        policy "$d" enforce "mx.$d"
        for ((i = 0; i < 2500; i++)); do printf 'mx: filler%04d.%s\r\n' "$i" "$d"; done
        ;;
      # Bytes that are no text at all (NULs, invalid UTF-8, no line structure).
      "$DOM_STS_GARBAGE") head -c 4096 /dev/urandom | tr -d '\n' ;;
      *) policy "$d" enforce "mx.$d" ;;
    esac >"$f"
  done
}

# --- daemon configs ----------------------------------------------------------------------

write_nginx() {
  local d cert body
  mkdir -p "$DIR/nginx/tmp"
  render "$DNS_TEMPLATES/nginx.conf.in" "$DIR/nginx/nginx.conf"
  for d in "${STS_ALL_DOMAINS[@]}"; do
    cert=mta-sts
    body='location = /.well-known/mta-sts.txt { }'
    case $d in
      "$DOM_STS_BADCERT") cert=mta-sts-wrongname ;;
      "$DOM_STS_EXPIRED") cert=mta-sts-expired ;;
      # RFC 8461 section 3.3: "HTTP 3xx redirects MUST NOT be followed".
      "$DOM_STS_REDIRECT")
        body="location = /.well-known/mta-sts.txt { return 301 https://mta-sts.$DOM_STS_ENFORCE"
        body+=":$HTTPS_PORT/.well-known/mta-sts.txt; }"
        ;;
    esac
    cat <<EOF
server {
	listen $MTA_STS_ADDR:$HTTPS_PORT ssl;
	server_name mta-sts.$d;
	ssl_certificate $CERTS/$cert.chain.pem;
	ssl_certificate_key $CERTS/$cert.key;
	root $DIR/www/$d;
	$body
	location / { return 404; }
}
EOF
  done >"$DIR/nginx/servers.conf"
}

write_postfix() {
  local i
  render "$DNS_TEMPLATES/main.cf.in" "$PF_DIR/main.cf"
  render "$DNS_TEMPLATES/master.cf.in" "$PF_DIR/master.cf"
  {
    for i in "${!MX_NAMES[@]}"; do
      printf '%s:%s inet n - n - - smtpd\n' "${MX_ADDRS[i]}" "$SMTP_PORT"
      printf '  -o syslog_name=postfix/%s\n  -o myhostname=%s\n' "${MX_CERTS[i]}" "${MX_NAMES[i]}"
      printf '  -o smtpd_tls_chain_files=%s/%s.key,%s/%s.chain.pem\n' \
        "$CERTS" "${MX_CERTS[i]}" "$CERTS" "${MX_CERTS[i]}"
    done
  } >>"$PF_DIR/master.cf"
  backdate "$PF_DIR/main.cf" "$PF_DIR/master.cf"
}

write_env() {
  local v
  {
    cat <<EOF
DNSLAB_DIR=$DIR
DNSLAB_RESOLVER=127.0.0.1@$RESOLVER_PORT
DNSLAB_RESOLVER_HOST=127.0.0.1
DNSLAB_RESOLVER_PORT=$RESOLVER_PORT
DNSLAB_AUTH_HOST=127.0.0.1
DNSLAB_AUTH_PORT=$AUTH_PORT
DNSLAB_SMTP_PORT=$SMTP_PORT
DNSLAB_TLSA_PORT=25
DNSLAB_MTA_STS_HOST=$MTA_STS_ADDR
DNSLAB_MTA_STS_PORT=$HTTPS_PORT
DNSLAB_TRUST_ANCHOR_FILE=$DIR/unbound/trust-anchor.ds
DNSLAB_CA_FILE=$CERTS/ca.pem
DNSLAB_DANE_CA_FILE=$CERTS/dane-ca.pem
DNSLAB_PARENT_ZONE=$PARENT
DNSLAB_PUBLIC_SUFFIX_FILE=$DIR/public_suffix_list.dat
DNSLAB_ROLLOVER_CHAIN_FILE=$CERTS/mx-dane-rollover.chain.pem
DNSLAB_ROLLOVER_KEY_FILE=$CERTS/mx-dane-rollover.key
DNSLAB_ROLLOVER_NEXT_CHAIN_FILE=$CERTS/next-mx-dane-rollover.chain.pem
DNSLAB_ROLLOVER_NEXT_KEY_FILE=$CERTS/next-mx-dane-rollover.key
DNSLAB_STALE_OLD_CERT_FILE=$CERTS/mx-dane-stale-old.pem
DNSLAB_POSTFIX_CONFIG_DIR=$PF_DIR
DNSLAB_LOG_DIR=$LOGS
EOF
    for v in "${!DOM_@}"; do printf 'DNSLAB_DOMAIN_%s=%s\n' "${v#DOM_}" "${!v}"; done
    for v in "${!ADDR_@}"; do printf 'DNSLAB_ADDR_%s=%s\n' "${v#ADDR_}" "${!v}"; done
  } >"$DIR/dnslab.env.tmp"
  mv "$DIR/dnslab.env.tmp" "$DIR/dnslab.env"
}

prepare() {
  mkdir -p "$DIR"
  chown root:root "$DIR"
  chmod 0755 "$DIR"
  : >"$MARKER"
  # Postfix insists on root-owned, not group/other-writable config and queue directories.
  mkdir -p "$PF_DIR" "$PF_QUEUE" "$LOGS" "$DIR/run" "$DIR/nsd" "$DIR/unbound" "$DIR/zones"
  chmod 0755 "$PF_DIR" "$PF_QUEUE" "$LOGS"
  make_certs
  make_zones
  write_policies
  render "$DNS_TEMPLATES/nsd.conf.in" "$DIR/nsd/nsd.conf"
  nsd_zone_blocks >>"$DIR/nsd/nsd.conf"
  render "$DNS_TEMPLATES/unbound.conf.in" "$DIR/unbound/unbound.conf"
  write_nginx
  write_postfix
  write_env
}
