# shellcheck shell=bash
# Sourced by tests/lab/lab (uses its variables: DIR, HERE, DOMAIN, USERS, ports, paths).
# Fills the lab directory: certificates (only those missing), Postfix and Dovecot configs
# from the templates next to this file, users and their passwords, and lab.env.

# Postfix refuses to read a table or main.cf modified within the last second or so: it
# sleeps in 0.3 s steps until the file is older (a guard against half-written files), which
# would add 1.5-2.5 s to every start after a rewrite. Generated files get an mtime in the
# past instead.
backdate() { touch -d "@$(($(date +%s) - 60))" "$@"; }

render() { # template destination: fill in the @...@ placeholders
  sed -e "s|@DIR@|$DIR|g" -e "s|@DOMAIN@|$DOMAIN|g" \
    -e "s|@SMTP_PORT@|$SMTP_PORT|g" -e "s|@SUBMISSION_PORT@|$SUBMISSION_PORT|g" \
    -e "s|@SMTPS_PORT@|$SMTPS_PORT|g" -e "s|@IMAP_PORT@|$IMAP_PORT|g" \
    -e "s|@IMAPS_PORT@|$IMAPS_PORT|g" -e "s|@POP3_PORT@|$POP3_PORT|g" \
    -e "s|@POP3S_PORT@|$POP3S_PORT|g" -e "s|@LMTP_PORT@|$LMTP_PORT|g" \
    -e "s|@OAUTH_PORT@|$OAUTH_PORT|g" "$1" >"$2.tmp"
  if grep -n '@[A-Z0-9_]*@' "$2.tmp" >&2; then die "unreplaced placeholder in $1"; fi
  mv "$2.tmp" "$2"
}

make_certs() {
  local cnf=$HERE/openssl.cnf
  export LAB_CERT_DIR=$CERTS # read by openssl.cnf
  mkdir -p "$CERTS"
  chmod 0755 "$CERTS"
  (
    cd "$CERTS"
    umask 077 # keys 0600; certificates are chmod'ed below
    if [[ ! -s ca.pem || ! -s ca.key ]]; then
      rm -f server.pem expired.pem wronghost.pem # signed by a CA that is gone
      openssl req -config "$cnf" -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -subj "/O=mailprobe lab/CN=mailprobe lab CA" -extensions ext_ca \
        -keyout ca.key -out ca.pem 2>>"$LOGS/openssl.log"
    fi
    leaf() { # name subject-CN: new key NAME.key and certificate request NAME.csr
      openssl req -config "$cnf" -new -newkey rsa:2048 -nodes -subj "/CN=$2" \
        -keyout "$1.key" -out "$1.csr" 2>>"$LOGS/openssl.log"
    }
    if [[ ! -s server.pem || ! -s server.key ]]; then
      leaf server localhost
      openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -days 365 -sha256 \
        -extfile "$cnf" -extensions ext_server -out server.pem 2>>"$LOGS/openssl.log"
      rm -f server.csr
    fi
    if [[ ! -s wronghost.pem || ! -s wronghost.key ]]; then
      leaf wronghost wrong.example
      openssl x509 -req -in wronghost.csr -CA ca.pem -CAkey ca.key -days 365 -sha256 \
        -extfile "$cnf" -extensions ext_wronghost -out wronghost.pem 2>>"$LOGS/openssl.log"
      rm -f wronghost.csr
    fi
    if [[ ! -s expired.pem || ! -s expired.key ]]; then
      # `openssl x509 -req` cannot backdate; `openssl ca` can, given its small database.
      leaf expired localhost
      rm -rf ca-db && mkdir ca-db && : >ca-db/index.txt
      openssl ca -config "$cnf" -batch -notext -extensions ext_expired \
        -startdate 20200101000000Z -enddate 20200201000000Z \
        -in expired.csr -out expired.pem 2>>"$LOGS/openssl.log"
      rm -rf ca-db expired.csr
    fi
    if [[ ! -s self-signed.pem || ! -s self-signed.key ]]; then
      openssl req -config "$cnf" -x509 -newkey rsa:2048 -nodes -sha256 -days 365 \
        -subj "/CN=localhost" -extensions ext_selfsigned \
        -keyout self-signed.key -out self-signed.pem 2>>"$LOGS/openssl.log"
    fi
    cat server.pem ca.pem >fullchain.pem
    chmod 0644 ./*.pem
  ) || { show_logs "$LOGS/openssl.log"; die "certificate generation failed in $CERTS"; }
}

make_users() {
  local u pw
  mkdir -p "$SECRETS"
  chmod 0700 "$SECRETS"
  for u in "${USERS[@]}"; do
    [[ -s $SECRETS/$u.password ]] && continue
    if [[ $u == odd ]]; then pw=$ODD_PASSWORD; else pw=$(openssl rand -hex 12); fi
    (umask 077 && printf '%s\n' "$pw" >"$SECRETS/$u.password")
  done
  # passwd-file: user:password:uid:gid:gecos:home:shell:extra (uid/gid/home from defaults).
  # Read by Dovecot's auth process, which runs as the dovecot user.
  (
    umask 027
    for u in "${USERS[@]}"; do
      printf '%s@%s:{PLAIN}%s::::::\n' "$u" "$DOMAIN" "$(password_of "$u")"
    done >"$DIR/dovecot/users"
  )
  chgrp dovecot "$DIR/dovecot/users"
  for u in "${USERS[@]}"; do printf '%s@%s OK\n' "$u" "$DOMAIN"; done >"$PF_DIR/vmailbox"
  backdate "$PF_DIR/vmailbox"

  # Mail and homes belong to the system "mail" user that Dovecot switches to.
  mkdir -p "$DIR/mail/$DOMAIN" "$DIR/home/$DOMAIN"
  for u in "${USERS[@]}"; do mkdir -p "$DIR/home/$DOMAIN/$u"; done
  mkdir -p "$DIR/home/$DOMAIN/junk/sieve"
  cp "$HERE/junk.sieve" "$DIR/home/$DOMAIN/junk/sieve/junk.sieve"
  ln -sfn sieve/junk.sieve "$DIR/home/$DOMAIN/junk/.dovecot.sieve"
  chown -R mail:mail "$DIR/mail" "$DIR/home"
  chmod 0750 "$DIR/mail" "$DIR/home"
}

write_env() {
  local s=$DIR/secrets
  cat >"$DIR/lab.env.tmp" <<EOF
LAB_DIR=$DIR
LAB_HOST=$HOST
LAB_EXPIRED_HOST=$EXPIRED_HOST
LAB_WRONGHOST_HOST=$WRONGHOST_HOST
LAB_SMTP_PORT=$SMTP_PORT
LAB_SUBMISSION_PORT=$SUBMISSION_PORT
LAB_SMTPS_PORT=$SMTPS_PORT
LAB_IMAP_PORT=$IMAP_PORT
LAB_IMAPS_PORT=$IMAPS_PORT
LAB_POP3_PORT=$POP3_PORT
LAB_POP3S_PORT=$POP3S_PORT
LAB_LMTP_PORT=$LMTP_PORT
LAB_CA_FILE=$CERTS/ca.pem
LAB_SELF_SIGNED_CERT=$CERTS/self-signed.pem
LAB_DOMAIN=$DOMAIN
LAB_SENDER=sender@$DOMAIN
LAB_SENDER_PASSWORD_FILE=$s/sender.password
LAB_RECEIVER=receiver@$DOMAIN
LAB_RECEIVER_PASSWORD_FILE=$s/receiver.password
LAB_ODD_USER=odd@$DOMAIN
LAB_ODD_PASSWORD_FILE=$s/odd.password
LAB_JUNK_USER=junk@$DOMAIN
LAB_JUNK_PASSWORD_FILE=$s/junk.password
LAB_PROBE_USER=probe@$DOMAIN
LAB_PROBE_PASSWORD_FILE=$s/probe.password
LAB_REFLECTOR=reflector@$DOMAIN
LAB_REFLECTOR_SECRET_FILE=$s/reflector.secret
LAB_POSTFIX_CONFIG_DIR=$PF_DIR
LAB_DOVECOT_CONFIG=$DC_CONF
LAB_DOVECOT_LOG=$LOGS/dovecot-info.log
LAB_POSTFIX_LOG=$LOGS/postfix.log
OAUTH_PORT=$OAUTH_PORT
OAUTH_URL=https://localhost:$OAUTH_PORT
OAUTH_TENANT=$OAUTH_TENANT
OAUTH_TOKEN_URL=https://localhost:$OAUTH_PORT/$OAUTH_TENANT/oauth2/v2.0/token
OAUTH_GOOGLE_TOKEN_URL=https://localhost:$OAUTH_PORT/token
OAUTH_INTROSPECTION_URL=https://localhost:$OAUTH_PORT/introspect
OAUTH_JWKS_URL=https://localhost:$OAUTH_PORT/jwks
OAUTH_TOKEN_LIFETIME=$OAUTH_TOKEN_LIFETIME
OAUTH_CLIENTS=$OAUTH_DIR/clients.json
OAUTH_USER=probe@$DOMAIN
OAUTH_CLIENT_ID=app-secret
OAUTH_CLIENT_SECRET_FILE=$s/oauth-client.secret
OAUTH_CERT_CLIENT_ID=app-cert
OAUTH_LONG_CLIENT_ID=app-long
OAUTH_CLIENT_CERT=$OAUTH_DIR/app-cert.pem
OAUTH_CLIENT_KEY=$OAUTH_DIR/app-cert.key
OAUTH_REFRESH_CLIENT_ID=app-refresh
OAUTH_REFRESH_CLIENT_SECRET_FILE=$s/oauth-refresh-client.secret
OAUTH_REFRESH_TOKEN_FILE=$s/oauth-refresh.token
OAUTH_PUBLIC_CLIENT_ID=app-public
OAUTH_PUBLIC_REFRESH_TOKEN_FILE=$s/oauth-public-refresh.token
OAUTH_SERVICE_ACCOUNT=$OAUTH_DIR/service-account.json
OAUTH_LOG=$LOGS/oauth.log
EOF
  mv "$DIR/lab.env.tmp" "$DIR/lab.env"
}

prepare() {
  # Postfix insists on root-owned, not group/other-writable config and queue directories.
  mkdir -p "$DIR"
  chown root:root "$DIR"
  chmod 0755 "$DIR"
  : >"$MARKER"
  mkdir -p "$PF_DIR" "$PF_QUEUE" "$DIR/dovecot" "$DIR/run" "$DIR/state/dovecot" \
    "$LOGS" "$DIR/tmp"
  chmod 0755 "$PF_DIR" "$PF_QUEUE" "$DIR/dovecot" "$DIR/run" "$LOGS"
  chmod 0700 "$DIR/tmp"
  # Pre-created so the logs are world-readable (Dovecot would create them 0600).
  touch "$LOGS/dovecot.log" "$LOGS/dovecot-info.log" "$LOGS/postfix.log"
  chmod 0644 "$LOGS"/*.log
  make_certs
  render "$HERE/dovecot.conf.in" "$DC_CONF"
  render "$HERE/main.cf.in" "$PF_DIR/main.cf"
  render "$HERE/master.cf.in" "$PF_DIR/master.cf"
  render "$HERE/dovecot-oauth2.conf.ext.in" "$DIR/dovecot/dovecot-oauth2.conf.ext"
  backdate "$PF_DIR/main.cf" "$PF_DIR/master.cf"
  make_users
  make_reflector
  make_oauth
  write_env
}

# reflector@ is answered by mailprobe's reflector (`mailprobe reflect`), through a Postfix
# pipe transport. The binary is $MAILPROBE_BIN at `lab up` time; without it, mail to
# reflector@ waits in the queue (the wrapper exits 75, EX_TEMPFAIL).
make_reflector() {
  local bin=${MAILPROBE_BIN:-}
  mkdir -p "$DIR/bin" "$DIR/reflector"
  chown mail:mail "$DIR/reflector"
  if [[ ! -s $SECRETS/reflector.secret ]]; then
    (umask 077 && openssl rand -hex 32 >"$SECRETS/reflector.secret")
  fi
  # The pipe runs as the mail user: it may read the secret, nothing else in secrets/.
  chgrp mail "$SECRETS/reflector.secret"
  chmod 0640 "$SECRETS/reflector.secret"
  chmod 0711 "$SECRETS"
  cat >"$DIR/bin/reflect" <<SH
#!/bin/sh
# Written by tests/lab/lab: hands each message for reflector@ to mailprobe's reflector.
[ -x "$bin" ] || exit 75
exec "$bin" reflect --smtp-host 127.0.0.1 --smtp-port $SMTP_PORT --from reflector@$DOMAIN \
  --secret-file $SECRETS/reflector.secret --state-file $DIR/reflector/state.sqlite
SH
  chmod 0755 "$DIR/bin/reflect"
  printf 'reflector@%s mailprobe-reflect:\n' "$DOMAIN" >"$PF_DIR/transport"
  backdate "$PF_DIR/transport"
}

# The OAuth 2.0 authorization server emulator (tests/fixtures/oauth_server.mjs): its clients
# registry and every client's credentials. Secrets, keys and initial refresh tokens are made
# once; the registry and the service-account key file (which names the port) every time.
# Clients: app-secret (client secret), app-cert (certificate: signed client assertions), both
# app-only with probe@ as their mailbox; app-long, app-secret's twin (the same secret) whose
# tokens are as long as Entra ID's (2.8 KB); app-refresh (secret + refresh token) and
# app-public (refresh token, no secret) for probe@; a Google service account delegated to
# probe@.
make_oauth() {
  local d=$OAUTH_DIR cnf=$HERE/openssl.cnf name
  mkdir -p "$d/state"
  chmod 0700 "$d" "$d/state"
  (
    umask 077
    for name in oauth-client oauth-refresh-client; do
      [[ -s $SECRETS/$name.secret ]] || openssl rand -hex 20 >"$SECRETS/$name.secret"
    done
    for name in oauth-refresh oauth-public-refresh; do
      [[ -s $SECRETS/$name.initial ]] || echo "rt-$name-$(openssl rand -hex 16)" >"$SECRETS/$name.initial"
      # The writable copies the clients rotate; reset only with the emulator's state.
      if [[ ! -s $d/state/refresh_tokens.json || ! -s $SECRETS/$name.token ]]; then
        cp "$SECRETS/$name.initial" "$SECRETS/$name.token"
      fi
    done
    for name in app-cert service-account; do
      [[ -s $d/$name.pem && -s $d/$name.key ]] && continue
      openssl req -config "$cnf" -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -subj "/CN=mailprobe lab $name" -extensions ext_signing \
        -keyout "$d/$name.key" -out "$d/$name.pem" 2>>"$LOGS/openssl.log"
    done
  ) || { show_logs "$LOGS/openssl.log"; die "OAuth client credentials could not be made in $d"; }
  local sa_email=prober@lab-project.iam.gserviceaccount.com user=probe@$DOMAIN
  local outlook=https://outlook.office365.com graph=https://graph.microsoft.com
  jq -n --arg tenant "$OAUTH_TENANT" --arg user "$user" --arg sa "$sa_email" --arg d "$d" \
    --arg outlook "$outlook" --arg graph "$graph" \
    --rawfile secret "$SECRETS/oauth-client.secret" \
    --rawfile refresh_secret "$SECRETS/oauth-refresh-client.secret" \
    --rawfile refresh "$SECRETS/oauth-refresh.initial" \
    --rawfile public "$SECRETS/oauth-public-refresh.initial" '
    def line: rtrimstr("\n");
    ([$outlook + "/.default", $graph + "/.default"]) as $scopes
    | { ($outlook): ["IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp"],
        ($graph): ["Mail.ReadWrite", "Mail.Send"] } as $roles
    | { tenant: $tenant,
        clients: [
          { client_id: "app-secret", client_secret: ($secret | line), scopes: $scopes,
            roles: $roles, mailbox: $user },
          { client_id: "app-cert", certificate: ($d + "/app-cert.pem"), scopes: $scopes,
            roles: $roles, mailbox: $user },
          { client_id: "app-long", client_secret: ($secret | line), scopes: $scopes,
            roles: $roles, mailbox: $user, token_padding: 1500 },
          { client_id: "app-refresh", client_secret: ($refresh_secret | line),
            refresh_tokens: [$refresh | line], subject: $user },
          { client_id: "app-public", refresh_tokens: [$public | line], subject: $user } ],
        service_accounts: [
          { client_email: $sa, certificate: ($d + "/service-account.pem"),
            delegated_subjects: [$user], scopes: ["https://mail.google.com/"] } ] }' \
    >"$d/clients.json.tmp"
  # Google's service-account key file, as the cloud console downloads it.
  jq -n --arg sa "$sa_email" --arg uri "https://localhost:$OAUTH_PORT/token" \
    --arg id "$(openssl x509 -in "$d/service-account.pem" -noout -fingerprint -sha1 \
      | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')" \
    --rawfile key "$d/service-account.key" '
    { type: "service_account", project_id: "lab-project", private_key_id: $id,
      private_key: $key, client_email: $sa, client_id: "100000000000000000001",
      auth_uri: "https://accounts.google.com/o/oauth2/auth", token_uri: $uri,
      auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
      universe_domain: "googleapis.com" }' >"$d/service-account.json.tmp"
  chmod 0600 "$d/clients.json.tmp" "$d/service-account.json.tmp"
  mv "$d/clients.json.tmp" "$d/clients.json"
  mv "$d/service-account.json.tmp" "$d/service-account.json"
}
