#!/usr/bin/env bash
# The domain checks in the daemon, against the DNS lab. check_dnsbl: a scheduled check's
# series on /metrics (a listing per list and address, each list's state as a state set), and
# /probe with an address as its target, as Prometheus would scrape it. check_mail_domain: its
# series, and a record that changed between two runs logged, counted and in the API's record
# history. promtool checks the exposition.
#
#   tests/daemon/domain_daemon_test.sh MAILPROBE DNSLAB_ENV
set -uo pipefail

mailprobe=${1:?usage: domain_daemon_test.sh MAILPROBE DNSLAB_ENV}
dnslab_env=${2:?usage: domain_daemon_test.sh MAILPROBE DNSLAB_ENV}
# shellcheck disable=SC1090
source "$dnslab_env"
for tool in promtool curl sqlite3; do
  command -v $tool >/dev/null || { echo "domain_daemon_test: $tool missing (scripts/setup.sh --reference)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/mailprobe-dnsbl-daemon-test.XXXXXX)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/daemon/expect.sh
. "$(dirname "${BASH_SOURCE[0]}")/expect.sh"

good=$DNSLAB_DOMAIN_DNSBL_GOOD
refused=$DNSLAB_DOMAIN_DNSBL_REFUSED
listed=$DNSLAB_ADDR_DNSBL_LISTED
clean=$DNSLAB_ADDR_DNSBL_CLEAN
lab_args="--resolver, '$DNSLAB_RESOLVER', --trust-anchor, '$DNSLAB_TRUST_ANCHOR_FILE', --list, '$good 127.0.0.4=\"spam source\"', --list, '$refused'"
cat >"$work/mailprobe.yaml" <<YAML
location: dnsbl-test
listen: 127.0.0.1:0
database: $work/history.sqlite
defaults: {interval: 10s, retry_interval: 2s}
checks:
  - name: blocklists
    plugin: check_dnsbl
    args: [-H, '$listed', -H, '$clean', $lab_args, -t, "8"]
  - name: domain
    plugin: check_mail_domain
    args: ['$DNSLAB_DOMAIN_DKIM', --resolver, '$DNSLAB_RESOLVER', --trust-anchor,
           '$DNSLAB_TRUST_ANCHOR_FILE', --public-suffix-list, '$DNSLAB_PUBLIC_SUFFIX_FILE',
           --dkim-selector, rsa2048, -t, "8"]
modules:
  dnsbl:
    plugin: check_dnsbl
    args: [$lab_args]
    timeout: 8s
YAML
start_daemon "$mailprobe" "$work/mailprobe.yaml"
check_labels='check="blocklists",plugin="check_dnsbl",location="dnsbl-test"'

expect "/metrics: the listed address is listed on the working list" \
  wait_for 20 scraped_has "mailprobe_dnsbl_listed{$check_labels,list=\"$good\",address=\"$listed\"} 1"
expect "/metrics: the clean address is not" \
  has "mailprobe_dnsbl_listed{$check_labels,list=\"$good\",address=\"$clean\"} 0"
expect "/metrics: the working list's state is ok (a state set)" \
  has "mailprobe_dnsbl_list_state{$check_labels,list=\"$good\",state=\"ok\"} 1"
expect "/metrics: the list that refuses queries is refused" \
  has "mailprobe_dnsbl_list_state{$check_labels,list=\"$refused\",state=\"refused\"} 1"
expect "/metrics: ... and none of its answers is a listing" \
  bash -c "! grep -qF 'mailprobe_dnsbl_listed{$check_labels,list=\"$refused\"' '$work/metrics'"
expect "/metrics: the check is CRITICAL (2)" \
  has "mailprobe_check_state{$check_labels} 2"
expect "/metrics: no raw perfdata name leaks into mailprobe_result_value" \
  bash -c "! grep -qF '[$listed]_listed' '$work/metrics'"
expect "promtool accepts /metrics with the DNSBL series" promtool check metrics <"$work/metrics"

probe() {  # probe TARGET: the /probe answer in $work/probe
  curl -s --max-time 15 -o "$work/probe" -w '%{http_code}' \
    "http://$daemon/probe?module=dnsbl&target=$1" >"$work/status"
}
probe_has() { grep -qF -- "$1" "$work/probe"; }
probe "$listed"
expect "/probe with an address target answers 200" grep -qx 200 "$work/status"
expect "/probe: a listed address is probe_success 0" probe_has "probe_success 0"
expect "/probe: ... listed on the working list" \
  probe_has "mailprobe_dnsbl_listed{list=\"$good\",address=\"$listed\"} 1"
expect "promtool accepts the /probe answer" promtool check metrics <"$work/probe"
probe "$clean"
expect "/probe: a clean address beside a refusing list is not a failure of the address" \
  probe_has "mailprobe_dnsbl_listed{list=\"$good\",address=\"$clean\"} 0"
expect "/probe: ... the refusing list's state is refused" \
  probe_has "mailprobe_dnsbl_list_state{list=\"$refused\",state=\"refused\"} 1"

# check_mail_domain: its families, then a change. The daemon keeps the records in its
# history database; as if the SPF record had said something else at the last run.
domain_labels='check="domain",plugin="check_mail_domain",location="dnsbl-test"'
expect "/metrics: the DKIM key's size by selector" \
  wait_for 20 scraped_has "mailprobe_dkim_key_size_bytes{$domain_labels,selector=\"rsa2048\"} 256"
expect "/metrics: SPF lookups" has "mailprobe_spf_lookups{$domain_labels} 0"
expect "/metrics: no DMARC applies (-1)" has "mailprobe_dmarc_policy{$domain_labels} -1"
expect "/metrics: every answer DNSSEC-secure" has "mailprobe_domain_dnssec_secure{$domain_labels} 1"
expect "/metrics: nothing changed yet" has "mailprobe_domain_records_changed{$domain_labels} 0"
spf_key="TXT $DNSLAB_DOMAIN_DKIM"
expect "the history database holds the domain's SPF record" \
  test "$(sqlite3 "$work/history.sqlite" "SELECT value FROM watched_records WHERE key = '$spf_key'")" = "v=spf1 -all"
sqlite3 "$work/history.sqlite" "UPDATE watched_records SET value = 'v=spf1 mx -all' WHERE key = '$spf_key'"
expect "the daemon logs the change when the next run sees it" \
  wait_for 25 grep -qF "record change: domain: $spf_key was 'v=spf1 mx -all', now 'v=spf1 -all'" "$work/daemon.log"
expect "... once" test "$(grep -c "record change: domain: " "$work/daemon.log")" = 1
expect "/metrics: one record changed" \
  wait_for 5 scraped_has "mailprobe_domain_records_changed{$domain_labels} 1"
expect "/metrics: ... a WARNING (1) at least" \
  bash -c "grep -qE 'mailprobe_check_state\\{$domain_labels\\} [12]' '$work/metrics'"
curl -sf --max-time 10 "http://$daemon/api/v1/checks/domain/record-changes" >"$work/changes"
expect "the API's record history has it" \
  grep -qF "\"record\":\"$spf_key\",\"old\":\"v=spf1 mx -all\",\"new\":\"v=spf1 -all\"" "$work/changes"
expect "promtool accepts /metrics with the domain series" promtool check metrics <"$work/metrics"

if [ "$failures" -gt 0 ]; then
  echo "--- daemon log"; tail -n 30 "$work/daemon.log"
  echo "--- last metrics"; grep mailprobe_dnsbl "$work/metrics" | head -n 40
  echo "domain_daemon_test: $failures failed"; exit 1
fi
echo "domain_daemon_test: all passed"
