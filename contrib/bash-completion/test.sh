#!/bin/bash
# Tests contrib/bash-completion/mailprobe: that it is registered for mailprobe
# and every check_* name, what it completes for scripted command lines (as
# bash would call it: COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT), and,
# when a mailprobe binary is found, that its option tables are those the
# binary's --help lists.
#
#   contrib/bash-completion/test.sh [MAILPROBE_BINARY]
#
# The binary defaults to $MAILPROBE_BIN, build/src/cli/mailprobe, or mailprobe
# on the PATH. Exits 1 when a completion is wrong.

set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=mailprobe
source "$here/mailprobe"

failures=0
tests=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# Completes LINE (the cursor at its end) as bash would: words split at white
# space, and an '=' of COMP_WORDBREAKS a word of its own.
complete_line() {
    local line=$1 word
    local -a words=()
    read -ra raw <<<"$line"
    for word in "${raw[@]}"; do
        if [[ $word == *=* ]]; then
            words+=("${word%%=*}" "=")
            [[ -n ${word#*=} ]] && words+=("${word#*=}")
        else
            words+=("$word")
        fi
    done
    # After a space a new, empty word; after an '=' the '=' is the word.
    [[ $line == *[[:space:]] ]] && words+=("")
    COMP_WORDS=("${words[@]}")
    COMP_CWORD=$((${#words[@]} - 1))
    COMP_LINE=$line
    COMP_POINT=${#line}
    COMPREPLY=()
    _mailprobe
    printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect LINE WORD...: the completions are exactly WORD... (none: nothing).
expect() {
    local line=$1
    shift
    tests=$((tests + 1))
    local got want
    got=$(complete_line "$line" | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    [[ $# -eq 0 ]] && want=""
    [[ $got == " " ]] && got=""
    [[ $got == "$want" ]] || fail "'$line': got [$got], want [$want]"
}

# expect_has LINE WORD...: each WORD is among the completions.
expect_has() {
    local line=$1 word got
    shift
    tests=$((tests + 1))
    got=$(complete_line "$line")
    for word in "$@"; do
        grep -qxF -- "$word" <<<"$got" ||
            fail "'$line': no '$word' in [${got//$'\n'/ }]"
    done
}

# expect_not LINE WORD...: no WORD is among the completions.
expect_not() {
    local line=$1 word got
    shift
    tests=$((tests + 1))
    got=$(complete_line "$line")
    for word in "$@"; do
        if grep -qxF -- "$word" <<<"$got"; then
            fail "'$line': '$word' offered"
        fi
    done
}

# --- registered for every name ------------------------------------------
for name in mailprobe check_smtp check_ssmtp check_pop check_spop check_imap \
    check_simap check_tcp check_mailq check_mail_roundtrip check_mailstore \
    check_mailstore_license check_mx check_mail_domain check_dnsbl; do
    tests=$((tests + 1))
    spec=$(complete -p "$name" 2>/dev/null)
    [[ $spec == "complete -F _mailprobe $name" ]] ||
        fail "complete -p $name: '$spec'"
done

# --- mailprobe and its subcommands --------------------------------------
expect "mailprobe " check serve reflect --help --version
expect "mailprobe ch" check
expect "mailprobe --v" --version
expect "mailprobe check " smtp ssmtp pop spop imap simap tcp mailq mailstore \
    mailstore-license roundtrip mx domain dnsbl
expect "mailprobe check mailstore-" mailstore-license
expect "mailprobe check s" smtp ssmtp spop simap
expect "mailprobe serve -" -h --help -V --version --extra-opts --check-config \
    -c --config
expect "mailprobe bogus "
expect "mailprobe check bogus --"
expect_has "mailprobe reflect --" --from --secret-file --state-file \
    --imap-host --once --max-age --max-size
expect "mailprobe reflect --imap-t" --imap-tls
expect "mailprobe reflect --imap-tls " none starttls tls
expect "mailprobe reflect --smtp-tls=st" starttls

# --- plugin options, by either name -------------------------------------
expect "check_smtp --st" --starttls
expect "mailprobe check smtp --st" --starttls
expect "check_imap --st" --starttls
expect_has "check_smtp -" -S -s -A -U -P -D -C -R -f -F -L -r -q -e -w -c -t \
    --tls-server-name --authuser --authpass --ignore-quit-failure --lmtp \
    --extra-opts --token-file --password-file --password-env --sni
expect_not "check_smtp --" --auth-mechanism --all --escape --refuse --send
expect_has "check_imap --" --starttls --auth-mechanism --user --sni --escape \
    --refuse --mismatch --maxbytes --delay --jail --all --extra-opts
expect_not "check_imap --" --tls-server-name --authuser --lmtp --authtype
expect "mailprobe check imap --auth" --auth-mechanism
expect "check_ssmtp --auth-mechanism " USER LOGIN PLAIN XOAUTH2 OAUTHBEARER
expect "check_tcp --mi" --mismatch
expect "check_mail_roundtrip --receive-p" --receive-protocol --receive-port \
    --receive-password-file --receive-password-env
expect_has "check_mail_roundtrip --rec" --receive-host --receive-tls \
    --receive-user --receive-oauth-client-id --receive-oauth-scope
expect "check_mail_roundtrip --smtp-oauth-ce" --smtp-oauth-certificate
expect_has "check_mail_roundtrip --oauth-" --oauth-client-id --oauth-cache
expect "mailprobe reflect --imap-oauth-t" --imap-oauth-tenant \
    --imap-oauth-token-url
expect "mailprobe check roundtrip --junk-s" --junk-state
expect "mailprobe check mail-roundtrip --junk-state " ok warn crit
expect "check_mx --req" --require-dane --require-mta-sts --require-tls-rpt
expect "check_mx --" --help --version --extra-opts --expect-null-mx \
    --require-dane --require-mta-sts --require-tls-rpt --verbose --domain \
    --host --port --max-addresses --timeout --certificate-days --ca-file \
    --resolver --trust-anchor --fqdn --next-cert --mta-sts-port \
    --output-format
expect "check_mail_domain --d" --domain --dkim-selector --dmarc-policy
expect "check_mail_domain --dmarc-policy " none quarantine reject
expect "check_mail_domain --dmarc-policy=q" quarantine
expect "mailprobe check domain --dmarc-policy r" reject
expect "mailprobe check mail-domain --ch" --changed-warn
expect "check_mail_domain -H "
expect "check_mail_domain --spf-ip "
expect_has "check_mail_domain -" -H -t --spf-ip --state-file \
    --public-suffix-list --resolver --trust-anchor
expect "check_dnsbl --spf" --spf-ip
expect "mailprobe check dnsbl --rh" --rhsbl-domain
expect_has "check_dnsbl -" -H -s -w -c -t --list --server --lists-file --domain
expect "check_mailq -" -h --help -V --version --extra-opts -w --warning \
    -c --critical -W --warning-domain -C --critical-domain -M --mailserver \
    -d --configdir --queue-command -t --timeout --output-format
expect_has "check_mailstore --" --DEBUG --userName --fingerprint --timezone \
    --machinename --filteruser --profile --status --search --compare
expect_has "mailprobe check mailstore_license --" --licensed --fingerprint
expect_not "check_mailstore_license --" --compare --status --search

# --- values -------------------------------------------------------------
expect "check_smtp --output-format " json nagios
expect "check_smtp --output-format j" json
expect "check_smtp --output-format=j" json
expect "check_mx --output-format=" json nagios
expect "check_smtp -A " PLAIN LOGIN XOAUTH2 OAUTHBEARER
expect "check_smtp --authtype X" XOAUTH2
expect_not "check_imap -A " PLAIN LOGIN XOAUTH2   # -A is --all here
expect "check_tcp -r " ok warn crit
expect "check_pop --refuse w" warn
expect "check_mailq -M " postfix exim
expect "check_mailstore --compare " lt le eq ge gt
expect "check_mailstore --search " profiles jobs emails
expect_has "check_mailstore --status " succeeded failed '#all'
expect "check_mail_roundtrip --receive-protocol " imap pop3 graph
expect "check_mail_roundtrip --smtp-protocol " smtp graph
expect "check_mail_roundtrip --receive-oauth-provider " microsoft google \
    generic
expect "mailprobe reflect --oauth-provider=g" generic google
expect_has "check_mail_roundtrip --smtp-oauth-client-secret-env " PATH
expect "check_smtp -w " # a threshold: nothing to offer
expect "check_smtp -c 1" # -c is --critical for a plugin
expect "check_smtp -p "
expect "check_mx -H "
expect_has "check_smtp --password-env " PATH
expect "check_smtp --password-env=PAT" PATH

# --- file names ---------------------------------------------------------
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch" || exit 1
touch ca.pem pw.txt root.key next.pem mailprobe.yaml sv.ini
mkdir sub
expect "check_smtp --ca-file c" ca.pem
expect "check_smtp --ca-file=c" ca.pem
expect "check_imap --ca-file=" ca.pem pw.txt root.key next.pem \
    mailprobe.yaml sv.ini sub
expect "check_smtp --password-file p" pw.txt
expect "check_pop --password-file=p" pw.txt
expect "check_smtp --token-file p" pw.txt
expect "check_mx --trust-anchor r" root.key
expect "check_mx --next-cert n" next.pem
expect "check_mx --ca-file=c" ca.pem
expect "check_mail_domain --public-suffix-list s" sv.ini sub
expect "check_mail_domain --state-file=s" sv.ini sub
expect "check_dnsbl --lists-file s" sv.ini sub
expect "check_dnsbl --list "
expect "mailprobe serve -c m" mailprobe.yaml
expect "mailprobe serve --config m" mailprobe.yaml
expect "mailprobe serve --config=m" mailprobe.yaml
expect "check_mail_roundtrip --smtp-password-file p" pw.txt
expect "check_mail_roundtrip --receive-password-file=p" pw.txt
expect "check_mail_roundtrip --state-file s" sv.ini sub
expect "mailprobe reflect --secret-file p" pw.txt
expect "mailprobe reflect --imap-password-file p" pw.txt
expect "mailprobe reflect --smtp-oauth-client-secret-file p" pw.txt
expect "check_mail_roundtrip --receive-oauth-certificate=c" ca.pem
expect "check_mail_roundtrip --oauth-cache s" sv.ini sub
expect "check_mailstore --password-file p" pw.txt
expect "check_mailq -d s" sub
expect "check_mailq --configdir=" sub
expect "check_mailq -c " # a count
expect "check_smtp --extra-opts=" @
expect "check_smtp --extra-opts=check_smtp" check_smtp@
expect "check_smtp --extra-opts=@p" @pw.txt
expect "check_smtp --extra-opts=check_smtp@p" @pw.txt
expect "mailprobe check mx --extra-opts=@r" @root.key
expect "mailprobe serve --extra-opts=@m" @mailprobe.yaml
expect "check_smtp --extra-opts=@s" @sub/ @sv.ini
cd "$here" || exit 1

# --- the tables against the binary's --help -----------------------------
binary=${1:-${MAILPROBE_BIN:-}}
if [[ -z $binary ]]; then
    for candidate in "$here/../../build/src/cli/mailprobe" \
        "$(command -v mailprobe 2>/dev/null)"; do
        [[ -x $candidate ]] && binary=$candidate && break
    done
fi
# Prints "flags: ..." and "values: ..." from a --help on standard input.
help_tables() {
    awk '
        /^  -/ {
            spec = $0
            sub(/^  /, "", spec)
            sub(/  .*$/, "", spec)
            value = (spec ~ / VALUE/)
            sub(/ VALUE.*$/, "", spec)
            sub(/\[.*$/, "", spec)
            n = split(spec, names, ", ")
            for (i = 1; i <= n; i++) {
                if (value) values = values " " names[i]
                else flags = flags " " names[i]
            }
        }
        END { print "flags:" flags; print "values:" values }'
}
sorted() { tr -s ' \n' '\n' <<<"$1" | grep -v '^$' | sort | tr '\n' ' '; }
if [[ -x $binary ]]; then
    for pair in smtp:check_smtp tcp:check_tcp tcp:check_pop tcp:check_spop \
        tcp:check_imap tcp:check_simap tcp:check_ssmtp mailq:check_mailq \
        roundtrip:check_mail_roundtrip mailstore:check_mailstore \
        mailstore_license:check_mailstore_license mx:check_mx \
        domain:check_mail_domain dnsbl:check_dnsbl serve:serve reflect:reflect; do
        table=${pair%%:*} name=${pair#*:}
        case $name in
            serve | reflect) help=$("$binary" "$name" --help) ;;
            *) help=$("$binary" check "${name#check_}" --help) ;;
        esac
        tables=$(help_tables <<<"$help")
        flags_var=_mailprobe_flags_$table values_var=_mailprobe_values_$table
        help_flags=$(sed -n 's/^flags://p' <<<"$tables")
        help_values=$(sed -n 's/^values://p' <<<"$tables")
        tests=$((tests + 2))
        [[ $(sorted "$help_flags") == $(sorted "${!flags_var}") ]] ||
            fail "$name: options without a value differ from --help:" \
                "$help_flags"
        [[ $(sorted "$help_values") == $(sorted "${!values_var}") ]] ||
            fail "$name: options with a value differ from --help:" \
                "$help_values"
    done
else
    echo "no mailprobe binary: option tables not compared with --help" >&2
fi

if ((failures > 0)); then
    echo "$failures of $tests completion tests failed" >&2
    exit 1
fi
echo "all $tests completion tests passed"
