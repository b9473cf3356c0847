#!/usr/bin/env bash
# A real Prometheus (Debian's) scrapes a mailprobe daemon that checks the lab: /metrics of
# the scheduled checks, and /probe as blackbox_exporter is used (module and target as URL
# parameters, relabelled), with Prometheus's own scrape timeout header. Then the values are
# read back through Prometheus's query API.
#
#   tests/daemon/prometheus_test.sh MAILPROBE LAB_ENV
set -uo pipefail

mailprobe=${1:?usage: prometheus_test.sh MAILPROBE LAB_ENV}
lab_env=${2:?usage: prometheus_test.sh MAILPROBE LAB_ENV}
# shellcheck disable=SC1090
source "$lab_env"
for tool in prometheus jq curl; do
  command -v $tool >/dev/null || { echo "prometheus_test: $tool missing (scripts/setup.sh --reference)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/mailprobe-prometheus-test.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/daemon/expect.sh
. "$(dirname "${BASH_SOURCE[0]}")/expect.sh"

cat >"$work/mailprobe.yaml" <<YAML
location: prom-test
listen: 127.0.0.1:0
database: $work/history.sqlite
defaults: {interval: 3s, retry_interval: 1s}
checks:
  - name: smtp
    plugin: check_smtp
    args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "2"]
modules:
  submission_starttls:
    plugin: check_smtp
    args: [-S, --ca-file, $LAB_CA_FILE, -D, "30,14"]
    timeout: 5s
YAML
"$mailprobe" serve -c "$work/mailprobe.yaml" 2>"$work/daemon.log" &
pids+=($!)
wait_for 10 grep -qs serving "$work/daemon.log" || { cat "$work/daemon.log"; exit 1; }
daemon=$(grep -o '127.0.0.1:[0-9]*' "$work/daemon.log" | head -n1)

# Prometheus needs a fixed port: the lab's base plus 900.
prom_port=$((LAB_SMTP_PORT - 25 + 900))
cat >"$work/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: mailprobe
    static_configs: [{targets: ["$daemon"]}]
  - job_name: mail_probe
    metrics_path: /probe
    params: {module: [submission_starttls]}
    scrape_timeout: 1s
    static_configs:
      # The daemon's own HTTP port never sends an SMTP greeting: a silent server.
      - targets: ["localhost:$LAB_SUBMISSION_PORT", "127.0.0.1:1", "$daemon"]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: "$daemon"}
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn 2>"$work/prometheus.log" &
pids+=($!)

query() {  # query PROMQL: the first value, or empty
  curl -sf --max-time 5 "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    jq -r '.data.result[0].value[1] // empty'
}
is() { [ "$(query "$1")" = "$2" ]; }

expect "Prometheus scrapes /metrics" wait_for 30 is 'up{job="mailprobe"}' 1
expect "the scheduled smtp check is probe_success 1" \
  wait_for 20 is 'probe_success{job="mailprobe",check="smtp",location="prom-test"}' 1
expect "/probe of the submission port with STARTTLS: probe_success 1" \
  wait_for 20 is "probe_success{job=\"mail_probe\",instance=\"localhost:$LAB_SUBMISSION_PORT\"}" 1
expect "and its certificate expiry is a time in the future" \
  wait_for 10 sh -c "[ \"\$(curl -sf 'http://127.0.0.1:$prom_port/api/v1/query' --data-urlencode 'query=probe_ssl_earliest_cert_expiry{job=\"mail_probe\"} > time()' | jq '.data.result | length')\" = 1 ]"
expect "/probe of a closed port: probe_success 0, and the scrape itself is up" \
  wait_for 20 sh -c "[ \"\$(curl -sf 'http://127.0.0.1:$prom_port/api/v1/query' --data-urlencode 'query=probe_success{instance=\"127.0.0.1:1\"} + on(instance) up{instance=\"127.0.0.1:1\"}' | jq -r '.data.result[0].value[1]')\" = 1 ]"
# A silent server: the module allows 5 s, the scrape 1 s. The deadline follows the scrape
# timeout header (less 0.5 s), so the probe fails in time and the scrape itself succeeds.
expect "a silent server: probe_success 0 within the scrape timeout" \
  wait_for 20 is "probe_success{job=\"mail_probe\",instance=\"$daemon\"}" 0
expect "and not one of its scrapes timed out" \
  is "min_over_time(up{job=\"mail_probe\",instance=\"$daemon\"}[1m])" 1
expect "it took about half a second" \
  sh -c "[ \"\$(curl -sf 'http://127.0.0.1:$prom_port/api/v1/query' --data-urlencode 'query=probe_duration_seconds{instance=\"$daemon\"} > 0.4 < 0.9' | jq '.data.result | length')\" = 1 ]"

if [ "$failures" != 0 ]; then
  echo "--- daemon:"; cat "$work/daemon.log"; echo "--- prometheus:"; tail -20 "$work/prometheus.log"
fi
echo "prometheus_test: $failures failed"
[ "$failures" = 0 ]
