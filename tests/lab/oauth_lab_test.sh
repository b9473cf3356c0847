#!/usr/bin/env bash
# The lab's OAuth 2.0 side from the outside: brings up a lab of its own (LAB_DIR and
# PORT_BASE, by default /tmp/mailprobe-oauth-lab-test and 30000; access tokens live 5 s), proves
# every grant of the authorization server emulator (tests/fixtures/oauth_server.mjs) and its
# Entra ID and Google error answers with curl, openssl and tests/lab/oauth_client.py, then
# real XOAUTH2 and OAUTHBEARER logins at Dovecot (IMAP, POP3) and Postfix submission with
# tokens from the emulator, good, garbage and expired; and that password logins never reach
# the token introspection. Takes the lab down again (OAUTH_LAB_KEEP=1 leaves it running).
# Every network call has its own timeout. Run as root.
#
#   tests/lab/oauth_lab_test.sh [LAB_DIR [PORT_BASE]]
#
# The lab is named by arguments, never by an inherited MAILPROBE_LAB_DIR: the test purges it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export MAILPROBE_LAB_DIR=${1:-/tmp/mailprobe-oauth-lab-test}
export MAILPROBE_LAB_PORT_BASE=${2:-30000}
export MAILPROBE_LAB_OAUTH_TOKEN_LIFETIME=5
LAB=$HERE/lab
CLIENT=$HERE/oauth_client.py
TMP=$(mktemp -d)
passed=0 failed=0 second_pid=''

now_ms() { local us=${EPOCHREALTIME//[!0-9]/}; echo $((us / 1000)); }
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }
ok() { passed=$((passed + 1)); printf 'ok   %s (%s)\n' "$1" "$(secs $(($(now_ms) - t_start)))"; }
json_ok() { jq -e "$1" "$2" >/dev/null; } # filter file
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1" >&2; }
check() { # description command...: pass if the command succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}

finish() {
  local rc=$?
  [[ -n $second_pid ]] && kill "$second_pid" 2>/dev/null
  rm -rf "$TMP"
  if [[ ${OAUTH_LAB_KEEP:-0} != 1 ]]; then timeout 30 "$LAB" down --purge >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap finish EXIT

t_start=$(now_ms)
timeout 60 "$LAB" down --purge >/dev/null 2>&1 || true
timeout 120 "$LAB" up || { echo "oauth_lab_test: lab up failed" >&2; exit 1; }
up_secs=$(secs $(($(now_ms) - t_start)))
# shellcheck source=/dev/null
. "$MAILPROBE_LAB_DIR/lab.env"
export LAB_CA_FILE # oauth_client.py verifies the servers with it
ENTRA=$OAUTH_TOKEN_URL
GOOGLE=$OAUTH_GOOGLE_TOKEN_URL
ASSERTION_TYPE=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
OUTLOOK=https://outlook.office365.com/.default

# --- helpers -----------------------------------------------------------------------------

# POST a form to URL (curl's -d/--data-urlencode arguments follow); the answer's body goes
# to $TMP/body, its status to STATUS, its headers to $TMP/headers.
STATUS=''
post() { # URL ARGS...
  STATUS=$(curl -sS --max-time 10 --cacert "$LAB_CA_FILE" -o "$TMP/body" -D "$TMP/headers" \
    -w '%{http_code}' "$@") || STATUS=curl-failed
}
# Secrets and tokens reach curl through files, never argv: `--data-urlencode "$(form NAME
# VALUE)"` or `"$(form NAME @FILE)"` (the file's first line).
form() {
  local file=$TMP/form.$1
  if [[ $2 == @* ]]; then head -n 1 "${2#@}" | tr -d '\n' >"$file"; else printf '%s' "$2" >"$file"; fi
  printf '%s@%s' "$1" "$file"
}
field() { jq -r "$1" "$TMP/body"; }
answer_is() { # status jq-expression: the last answer has that status and satisfies the filter
  if [[ $STATUS == "$1" ]] && jq -e "$2" "$TMP/body" >/dev/null; then return 0; fi
  printf '  got HTTP %s: %s\n' "$STATUS" "$(head -c 400 "$TMP/body")" >&2
  return 1
}
verified_claims() { # JWT: verified with the JWKS, its claims into $TMP/claims
  python3 "$CLIENT" verify --jwks "$TMP/jwks.json" <<<"$1" >"$TMP/claims"
}
entra_error() { # status error code: Entra's shape with that AADSTS code
  answer_is "$1" ".error == \"$2\" and .error_codes == [$3]
    and (.error_description | startswith(\"AADSTS$3: \") and contains(\"\\r\\nTrace ID: \"))
    and (.trace_id | length) == 36 and (.correlation_id | length) == 36
    and (.timestamp | test(\"^[0-9-]{10} [0-9:]{8}Z$\"))
    and .error_uri == \"https://login.microsoftonline.com/error?code=$3\""
}

client_credentials_secret() { # URL: a token for app-secret (body secret) into $TMP/body
  post "$1" -d grant_type=client_credentials -d client_id=app-secret \
    --data-urlencode "$(form client_secret "@$OAUTH_CLIENT_SECRET_FILE")" --data-urlencode "scope=$OUTLOOK"
}
assertion() { python3 "$CLIENT" assertion "$@"; }
cert_assertion() { # extra assertion options: a client assertion of app-cert for the Entra URL
  assertion --iss app-cert --aud "$ENTRA" --key "$OAUTH_CLIENT_KEY" --cert "$OAUTH_CLIENT_CERT" "$@"
}
post_cert_assertion() { # assertion
  post "$ENTRA" -d grant_type=client_credentials -d client_id=app-cert \
    -d "client_assertion_type=$ASSERTION_TYPE" --data-urlencode "$(form client_assertion "$1")" \
    --data-urlencode "scope=$OUTLOOK"
}
SA_EMAIL=$(jq -r .client_email "$OAUTH_SERVICE_ACCOUNT")
jq -r .private_key "$OAUTH_SERVICE_ACCOUNT" >"$TMP/sa.key"
sa_assertion() { # subject [extra options]: a service-account assertion for the Google URL
  assertion --iss "$SA_EMAIL" --aud "$(jq -r .token_uri "$OAUTH_SERVICE_ACCOUNT")" \
    --key "$TMP/sa.key" --kid "$(jq -r .private_key_id "$OAUTH_SERVICE_ACCOUNT")" \
    --sub "$1" --scope https://mail.google.com/ "${@:2}"
}
post_jwt_bearer() { # assertion
  post "$GOOGLE" -d grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \
    --data-urlencode "$(form assertion "$1")"
}
refresh() { # client-id refresh-token-file [secret-file]
  local args=("$ENTRA" -d grant_type=refresh_token -d "client_id=$1"
    --data-urlencode "$(form refresh_token "@$2")")
  if [[ -n ${3:-} ]]; then args+=(--data-urlencode "$(form client_secret "@$3")"); fi
  post "${args[@]}"
}
introspect() { post "$OAUTH_INTROSPECTION_URL" --data-urlencode "$(form token "$1")"; }
token() { field .access_token; }

# --- the emulator --------------------------------------------------------------------------

# One token issued now, to be expired at the end (5 s lifetime), for introspection and logins.
client_credentials_secret "$ENTRA"
expiring=$(token)
expiring_ms=$(now_ms)

check "client_credentials with a secret in the body (Entra): a bearer token for 5 s" \
  answer_is 200 '.token_type == "Bearer" and .expires_in == 5 and (.access_token | length) > 100'
introspect "$expiring"
check "introspection of a current token: active, username = its client's mailbox" \
  answer_is 200 ".active == true and .username == \"$OAUTH_USER\" and .client_id == \"app-secret\""
curl -sS --max-time 10 --cacert "$LAB_CA_FILE" -o "$TMP/jwks.json" "$OAUTH_JWKS_URL"
check "the access token is a JWT verified with the JWKS key its kid names" \
  verified_claims "$expiring"
check "its claims: app-only roles for Outlook, no email, azp, tenant issuer" json_ok \
  '.roles == ["IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp"] and (has("email") | not)
   and .azp == "app-secret" and .aud == "https://outlook.office365.com"
   and (.iss | endswith("/contoso-lab/v2.0")) and .exp - .iat == 5' "$TMP/claims"

curl -sS --max-time 10 --cacert "$LAB_CA_FILE" -o "$TMP/keys.json" \
  "$OAUTH_URL/$OAUTH_TENANT/discovery/v2.0/keys"
check "Entra's keys endpoint serves the same JWKS" cmp -s "$TMP/jwks.json" "$TMP/keys.json"

printf 'user = "app-secret:%s"\n' "$(head -n 1 "$OAUTH_CLIENT_SECRET_FILE")" >"$TMP/basic.conf"
STATUS=$(curl -sS --max-time 10 --cacert "$LAB_CA_FILE" -K "$TMP/basic.conf" -o "$TMP/body" \
  -w '%{http_code}' "$GOOGLE" -d grant_type=client_credentials --data-urlencode "scope=$OUTLOOK")
rm -f "$TMP/basic.conf"
check "client_credentials with HTTP Basic (RFC 6749 2.3.1, Google path)" \
  answer_is 200 '.token_type == "Bearer"'

printf 'wrong-secret\n' >"$TMP/wrong.secret"
post "$ENTRA" -d grant_type=client_credentials -d client_id=app-secret \
  --data-urlencode "$(form client_secret "@$TMP/wrong.secret")" --data-urlencode "scope=$OUTLOOK"
check "wrong secret (Entra): 401 invalid_client AADSTS7000215" entra_error 401 invalid_client 7000215
post "$GOOGLE" -d grant_type=client_credentials -d client_id=app-secret \
  --data-urlencode "$(form client_secret "@$TMP/wrong.secret")" --data-urlencode "scope=$OUTLOOK"
check "wrong secret (Google): 401 invalid_client Unauthorized" \
  answer_is 401 '. == {"error": "invalid_client", "error_description": "Unauthorized"}'
post "$ENTRA" -d grant_type=client_credentials -d client_id=nobody -d client_secret=x \
  --data-urlencode "scope=$OUTLOOK"
check "unknown client (Entra): 400 unauthorized_client AADSTS700016" \
  entra_error 400 unauthorized_client 700016
client_credentials_secret "$ENTRA" >/dev/null
post "$ENTRA" -d grant_type=client_credentials -d client_id=app-secret \
  --data-urlencode "$(form client_secret "@$OAUTH_CLIENT_SECRET_FILE")" \
  --data-urlencode scope=https://example.com/.default
check "scope not granted (Entra): 400 invalid_scope AADSTS70011" entra_error 400 invalid_scope 70011

# private_key_jwt (RFC 7523 2.2): signed by the registered certificate's key.
signed=$(cert_assertion)
post_cert_assertion "$signed"
check "client_credentials with a client assertion (app-cert)" answer_is 200 '.token_type == "Bearer"'
post_cert_assertion "$signed"
check "the same assertion again (jti replayed): 401 AADSTS700027" \
  entra_error 401 invalid_client 700027
post_cert_assertion "$(cert_assertion --tamper)"
check "an assertion with a bad signature: 401 AADSTS700027" entra_error 401 invalid_client 700027
check "  ... named as a signature failure" json_ok '.error_description | contains("signature")' "$TMP/body"
post_cert_assertion "$(cert_assertion --exp-in -120)"
check "an expired assertion: 401 AADSTS700024" entra_error 401 invalid_client 700024
post_cert_assertion "$(assertion --iss app-cert --aud "$GOOGLE" --key "$OAUTH_CLIENT_KEY")"
check "an assertion for another audience: refused" entra_error 401 invalid_client 700027

# Refresh tokens rotate (RFC 6749 6): the old one is refused after use, and a restarted
# emulator knows the new one.
old_refresh=$(head -n 1 "$OAUTH_REFRESH_TOKEN_FILE")
cp "$OAUTH_REFRESH_TOKEN_FILE" "$TMP/old.token"
refresh app-refresh "$OAUTH_REFRESH_TOKEN_FILE" "$OAUTH_REFRESH_CLIENT_SECRET_FILE"
check "refresh_token grant (confidential client): a token and a new refresh token" \
  answer_is 200 ".refresh_token != \"$old_refresh\" and (.refresh_token | length) > 20"
field .refresh_token >"$TMP/rotated.token"
refresh app-refresh "$TMP/old.token" "$OAUTH_REFRESH_CLIENT_SECRET_FILE"
check "the old refresh token again: 400 invalid_grant AADSTS70008" entra_error 400 invalid_grant 70008
refresh app-refresh "$TMP/rotated.token"
check "the new one without the client secret: 401 AADSTS7000218" entra_error 401 invalid_client 7000218
cp "$TMP/rotated.token" "$OAUTH_REFRESH_TOKEN_FILE" # as a client keeps it
# A second emulator on a copy of the state directory, as after a restart.
cp -r "$LAB_DIR/oauth/state" "$TMP/state"
second_port=$((OAUTH_PORT + 1))
setsid node "$HERE/../fixtures/oauth_server.mjs" --port "$second_port" --cert "$LAB_DIR/certs/fullchain.pem" \
  --key "$LAB_DIR/certs/server.key" --clients "$OAUTH_CLIENTS" --state-dir "$TMP/state" \
  </dev/null >"$TMP/second.out" 2>"$TMP/second.log" &
second_pid=$!
for ((i = 0; i < 250; i++)); do grep -q listening "$TMP/second.out" && break; sleep 0.02; done
ENTRA_LAB=$ENTRA
ENTRA=${ENTRA/:$OAUTH_PORT\//:$second_port\/}
refresh app-refresh "$TMP/old.token" "$OAUTH_REFRESH_CLIENT_SECRET_FILE"
check "a restarted emulator still refuses the rotated-away token" entra_error 400 invalid_grant 70008
refresh app-refresh "$TMP/rotated.token" "$OAUTH_REFRESH_CLIENT_SECRET_FILE"
check "  ... and accepts the new one (state directory)" answer_is 200 '.refresh_token | length > 20'
kill "$second_pid"
second_pid=''
ENTRA=$ENTRA_LAB

# Google's service-account grant (RFC 7523 2.1) with domain-wide delegation.
post_jwt_bearer "$(sa_assertion "$OAUTH_USER")"
check "jwt-bearer for the service account: a token for $OAUTH_USER" answer_is 200 '.token_type == "Bearer"'
verified_claims "$(token)" || true
check "  ... whose email claim is the mailbox" json_ok \
  ".email == \"$OAUTH_USER\" and .scp == \"https://mail.google.com/\"" "$TMP/claims"
post_jwt_bearer "$(sa_assertion "$LAB_RECEIVER")"
check "a mailbox not delegated: 401 unauthorized_client (Google's text)" answer_is 401 \
  '.error == "unauthorized_client" and (.error_description | startswith("Client is unauthorized"))'
post_jwt_bearer "$(sa_assertion "$OAUTH_USER" --tamper)"
check "a service-account assertion with a bad signature: Invalid JWT Signature." \
  answer_is 400 '. == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}'

# Test hooks: an injected throttle, and the request counts.
post "$OAUTH_URL/_test/fail-next" -H 'Content-Type: application/json' \
  -d '{"count": 1, "status": 429, "retry_after": 3}'
client_credentials_secret "$ENTRA"
throttled() { [[ $STATUS == 429 ]] && grep -qi '^retry-after: 3' "$TMP/headers"; }
check "fail-next: the next token request gets 429 with Retry-After" throttled
client_credentials_secret "$ENTRA"
check "  ... and only that one" answer_is 200 '.token_type == "Bearer"'
curl -sS --max-time 10 --cacert "$LAB_CA_FILE" -o "$TMP/body" "$OAUTH_URL/_test/stats"
check "stats count token requests per grant and client" json_ok \
  '.requests.client_credentials["app-secret"] >= 8 and .issued.client_credentials["app-cert"] == 1
   and .injected_failures == 1' "$TMP/body"

head -c 70000 /dev/zero | tr '\0' x >"$TMP/big"
post "$ENTRA" --data-binary "@$TMP/big"
check "a 70 kB body: 413, and the emulator goes on" answer_is 413 '.error == "invalid_request"'
post "$ENTRA" -d 'grant_type=client_credentials&grant_type=refresh_token'
check "a repeated parameter (RFC 6749 3.1): AADSTS9002313" entra_error 400 invalid_request 9002313

introspect "not-a-token"
check "introspection of garbage: inactive" answer_is 200 '. == {"active": false}'

# --- real logins ---------------------------------------------------------------------------

logs_in() { # protocol mechanism port token-command...: logs in as $OAUTH_USER
  local out token
  token=$("${@:4}")
  out=$(python3 "$CLIENT" login "$1" "$2" --port "$3" --user "$OAUTH_USER" <<<"$token") || true
  [[ $out == OK ]] || { printf '  %s\n' "$out" >&2; return 1; }
}
token_secret() { client_credentials_secret "$ENTRA" && token; }
token_cert() { post_cert_assertion "$(cert_assertion)" && token; }
token_service_account() { post_jwt_bearer "$(sa_assertion "$OAUTH_USER")" && token; }
token_refresh() { # the confidential client's refresh grant; keeps the rotated token
  refresh app-refresh "$OAUTH_REFRESH_TOKEN_FILE" "$OAUTH_REFRESH_CLIENT_SECRET_FILE" \
    && field .refresh_token >"$OAUTH_REFRESH_TOKEN_FILE" && token
}
token_public() {
  refresh app-public "$OAUTH_PUBLIC_REFRESH_TOKEN_FILE" \
    && field .refresh_token >"$OAUTH_PUBLIC_REFRESH_TOKEN_FILE" && token
}
check "IMAP AUTHENTICATE XOAUTH2 (app-only token of a client assertion)" \
  logs_in imap xoauth2 "$LAB_IMAPS_PORT" token_cert
check "IMAP AUTHENTICATE OAUTHBEARER (service-account token)" \
  logs_in imap oauthbearer "$LAB_IMAPS_PORT" token_service_account
check "POP3 AUTH XOAUTH2 (refresh-grant token)" logs_in pop3 xoauth2 "$LAB_POP3S_PORT" token_refresh
check "SMTP submission AUTH XOAUTH2 (client-secret token)" \
  logs_in smtp xoauth2 "$LAB_SUBMISSION_PORT" token_secret
check "SMTP submission AUTH OAUTHBEARER (public client's refresh-grant token)" \
  logs_in smtp oauthbearer "$LAB_SUBMISSION_PORT" token_public

# Password logins stay with the passwd-file passdb: neither a right nor a wrong password
# reaches the introspection endpoint (the wrong one from its own address, so that Dovecot's
# failure delay stays there). Runs while the expiring token runs out.
introspections() {
  curl -sS --max-time 10 --cacert "$LAB_CA_FILE" "$OAUTH_URL/_test/stats" \
    | jq '.introspections.active + .introspections.inactive'
}
before=$(introspections)
imap_plain() { # user password-file [curl options]: LOGIN over IMAPS
  printf 'user = "%s:%s"\n' "$1" "$(head -n 1 "$2")" \
    | curl -sS --max-time 10 --cacert "$LAB_CA_FILE" -K - "${@:3}" \
      "imaps://127.0.0.1:$LAB_IMAPS_PORT/INBOX?ALL" >/dev/null 2>&1
}
check "a password login (PLAIN) still works" imap_plain "$OAUTH_USER" "$LAB_PROBE_PASSWORD_FILE" \
  --login-options AUTH=PLAIN
if imap_plain "$OAUTH_USER" "$TMP/wrong.secret" --interface 127.0.0.40; then
  fail "a wrong password is refused"
else
  ok "a wrong password is refused"
fi
check "  ... and neither asked the introspection endpoint" test "$(introspections)" = "$before"

# Tokens that must fail: garbage, expired, another user's. Each from an address of its own
# (Dovecot delays further logins from an address after a failure), all at once, since each
# failure is answered only after Dovecot's 2 s failure delay.
wait_ms=$((expiring_ms + 6500 - $(now_ms)))
((wait_ms > 0)) && sleep "$(secs "$wait_ms")"
introspect "$expiring"
check "introspection of the token after its 5 s: inactive" answer_is 200 '. == {"active": false}'
valid=$(token_service_account)
declare -A expect=(
  [imap_xoauth2_garbage]='^FAILED \{"status":"401","schemes":"bearer","scope":"mail".*\} \[AUTHENTICATIONFAILED\]'
  [imap_oauthbearer_expired]='^FAILED \{"status":"invalid_token".*\} \[AUTHENTICATIONFAILED\]'
  [pop3_xoauth2_expired]='^FAILED \{"status":"401".*\} .*-ERR \[AUTH\] Authentication failed'
  [pop3_oauthbearer_garbage]='^FAILED \{"status":"invalid_token".*\} .*-ERR \[AUTH\]'
  [smtp_xoauth2_expired]='^FAILED \{"status":"401".*\} 535 '
  [smtp_oauthbearer_garbage]='^FAILED \{"status":"invalid_token".*\} 535 '
  [imap_xoauth2_otheruser]='^FAILED \{"status":"401".*\} \[AUTHENTICATIONFAILED\]'
  [smtp_xoauth2_long]='^FAILED \{"status":"401".*\} 535 '
)
port_of() {
  case $1 in
    imap) echo "$LAB_IMAPS_PORT" ;;
    pop3) echo "$LAB_POP3S_PORT" ;;
    *) echo "$LAB_SUBMISSION_PORT" ;;
  esac
}
long_garbage=$(printf 'x%.0s' {1..3000})
n=50
for name in "${!expect[@]}"; do
  IFS=_ read -r proto mech kind <<<"$name"
  case $kind in
    garbage) tok=garbage-token ;;
    expired) tok=$expiring ;;
    otheruser) tok=$valid ;;
    long) tok=$long_garbage ;;
  esac
  opts=(--source "127.0.0.$n" --user "$OAUTH_USER")
  # The token is probe@'s, the login receiver@'s.
  if [[ $kind == otheruser ]]; then opts+=(--user "$LAB_RECEIVER"); fi
  # RFC 4954 4: a response longer than the command line goes after the 334 (Postfix cuts
  # commands at 2048 bytes, but takes 12288 in a SASL response).
  if [[ $kind == long ]]; then opts+=(--no-initial-response); fi
  timeout 30 python3 "$CLIENT" login "$proto" "$mech" --port "$(port_of "$proto")" "${opts[@]}" \
    <<<"$tok" >"$TMP/$name.out" 2>&1 &
  n=$((n + 1))
done
wait
for name in "${!expect[@]}"; do
  out=$(head -c 600 "$TMP/$name.out")
  if [[ $out =~ ${expect[$name]} ]]; then ok "refused: $name"; else fail "refused: $name: $out"; fi
done
printf '  Dovecot refuses XOAUTH2 with %s\n' "$(head -c 300 "$TMP/imap_xoauth2_garbage.out")"
printf '  Dovecot refuses OAUTHBEARER with %s\n' "$(head -c 300 "$TMP/imap_oauthbearer_expired.out")"

total=$(secs $(($(now_ms) - t_start)))
printf 'oauth_lab_test: lab up %s s, all %s s\n' "$up_secs" "$total"
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
