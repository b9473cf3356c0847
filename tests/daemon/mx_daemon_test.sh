#!/usr/bin/env bash
# check_mx in the daemon, against the DNS lab: a scheduled check's per-MX and per-address
# series on /metrics (success, DANE state, MTA-STS mode, certificate expiry, phases), and
# /probe with a domain as its target, as Prometheus would scrape it. promtool checks the
# exposition.
#
#   tests/daemon/mx_daemon_test.sh MAILPROBE DNSLAB_ENV
set -uo pipefail

mailprobe=${1:?usage: mx_daemon_test.sh MAILPROBE DNSLAB_ENV}
dnslab_env=${2:?usage: mx_daemon_test.sh MAILPROBE DNSLAB_ENV}
# shellcheck disable=SC1090
source "$dnslab_env"
for tool in promtool curl; do
  command -v $tool >/dev/null || { echo "mx_daemon_test: $tool missing (scripts/setup.sh --reference)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/mailprobe-mx-daemon-test.XXXXXX)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/daemon/expect.sh
. "$(dirname "${BASH_SOURCE[0]}")/expect.sh"

# A module gets its port from the target (DOMAIN:PORT), so only the checks set --port.
lab_args="--resolver, '$DNSLAB_RESOLVER', --trust-anchor, '$DNSLAB_TRUST_ANCHOR_FILE', --mta-sts-port, '$DNSLAB_MTA_STS_PORT', --ca-file, '$DNSLAB_CA_FILE'"
cat >"$work/mailprobe.yaml" <<YAML
location: mx-test
listen: 127.0.0.1:0
database: $work/history.sqlite
defaults: {interval: 10s, retry_interval: 2s}
checks:
  - name: dane
    plugin: check_mx
    args: ['$DNSLAB_DOMAIN_DANE_EE', $lab_args, --port, '$DNSLAB_SMTP_PORT', -t, "8"]
  - name: sts
    plugin: check_mx
    args: ['$DNSLAB_DOMAIN_STS_MISSING_MX', $lab_args, --port, '$DNSLAB_SMTP_PORT', -t, "8"]
modules:
  mx:
    plugin: check_mx
    args: [$lab_args]
    timeout: 8s
YAML
start_daemon "$mailprobe" "$work/mailprobe.yaml"
dane_ee_address="mx=\"mx.$DNSLAB_DOMAIN_DANE_EE\",address=\"$DNSLAB_ADDR_DANE_EE\""

expect "/metrics: the DANE-EE MX address is up" \
  wait_for 20 scraped_has "mailprobe_mx_success{check=\"dane\",plugin=\"check_mx\",location=\"mx-test\",$dane_ee_address} 1"
expect "/metrics: its DANE state is matched (a state set)" \
  has "mailprobe_mx_dane_state{check=\"dane\",plugin=\"check_mx\",location=\"mx-test\",$dane_ee_address,state=\"matched\"} 1"
expect "/metrics: and not mismatch" \
  has "mailprobe_mx_dane_state{check=\"dane\",plugin=\"check_mx\",location=\"mx-test\",$dane_ee_address,state=\"mismatch\"} 0"
expect "/metrics: its certificate expiry" \
  grep -qE "^mailprobe_mx_cert_expiry_timestamp_seconds\{check=\"dane\",.*$dane_ee_address\} [0-9.e+]+$" "$work/metrics"
expect "/metrics: the check's earliest expiry covers the MX certificates" \
  grep -qE '^probe_ssl_earliest_cert_expiry\{check="dane",' "$work/metrics"
expect "/metrics: connect time per address" \
  has "mailprobe_mx_phase_duration_seconds{check=\"dane\",plugin=\"check_mx\",location=\"mx-test\",$dane_ee_address,phase=\"connect\"}"
expect "/metrics: the MX that the enforce policy does not list is enforce_unlisted" \
  wait_for 20 scraped_has "mx=\"mx2.$DNSLAB_DOMAIN_STS_MISSING_MX\""
grep -E "^mailprobe_mx_mta_sts_mode\{check=\"sts\",.*mx=\"mx2\..*state=\"enforce_unlisted\"\} 1$" "$work/metrics" >/dev/null ||
  { fail "enforce_unlisted sample"; grep mailprobe_mx_mta_sts_mode "$work/metrics"; }
expect "/metrics: and the listed MX is enforce" \
  grep -qE "^mailprobe_mx_mta_sts_mode\{check=\"sts\",.*mx=\"mx1\..*state=\"enforce\"\} 1$" "$work/metrics"
expect "/metrics: the unlisted MX is not up (senders refuse it)" \
  grep -qE "^mailprobe_mx_success\{check=\"sts\",.*mx=\"mx2\..*\} 0$" "$work/metrics"
expect "promtool accepts /metrics with the MX series" promtool check metrics <"$work/metrics"

probe() {  # probe TARGET: the /probe answer in $work/probe
  curl -s --max-time 15 -o "$work/probe" -w '%{http_code}' \
    "http://$daemon/probe?module=mx&target=$1" >"$work/status"
}
probe_has() { grep -qF -- "$1" "$work/probe"; }
probe "$DNSLAB_DOMAIN_DANE_EE:$DNSLAB_SMTP_PORT"
expect "/probe with a domain target answers 200" grep -qx 200 "$work/status"
expect "/probe: probe_success 1 for the DANE-EE domain" probe_has "probe_success 1"
expect "/probe: the MX address's DANE state is matched" \
  probe_has "mailprobe_mx_dane_state{$dane_ee_address,state=\"matched\"} 1"
expect "promtool accepts the /probe answer" promtool check metrics <"$work/probe"

probe "$DNSLAB_DOMAIN_DANE_STALE:$DNSLAB_SMTP_PORT"
expect "/probe: TLSA left behind by a renewal is probe_success 0" probe_has "probe_success 0"
expect "/probe: ... and its DANE state is mismatch" \
  grep -qE "^mailprobe_mx_dane_state\{mx=\"mx.$DNSLAB_DOMAIN_DANE_STALE\",address=\"$DNSLAB_ADDR_DANE_STALE\",state=\"mismatch\"\} 1$" "$work/probe"

probe "$DNSLAB_DOMAIN_DANE_EE:1"
expect "/probe: the target's port is check_mx's --port (nothing listens on 1)" \
  probe_has "mailprobe_mx_success{$dane_ee_address} 0"

probe "no..such:$DNSLAB_SMTP_PORT"
expect "/probe: a domain that is not a name is a 400" grep -qx 400 "$work/status"
expect "/probe: ... that says why in one line" \
  probe_has "target: 'no..such:$DNSLAB_SMTP_PORT' refused by check_mx: MX UNKNOWN - 'no..such' is not a domain name: an empty label"

if [ "$failures" -gt 0 ]; then
  echo "--- daemon log"; tail -n 30 "$work/daemon.log"
  echo "--- last metrics"; grep mailprobe_mx "$work/metrics" | head -n 40
  echo "mx_daemon_test: $failures failed"; exit 1
fi
echo "mx_daemon_test: all passed"
