#!/usr/bin/env bash
# How many checks one core of `mailprobe serve` keeps on time, against blackbox_exporter
# driven at the same rate, on loopback only:
#
# 1. `mailprobe serve` pinned to one core (taskset) with CHECKS checks every 60 s for
#    MINUTES minutes, every other one check_smtp -S against the lab's Postfix (STARTTLS,
#    verified against the lab's CA) and the others check_tcp against bench/tcp_sink.mjs (a
#    connect and a close: the scheduler's own cost without TLS). Every 30 s, as a
#    Prometheus would, it scrapes /metrics and samples the daemon's resident memory (VmRSS),
#    its CPU (utime + stime from /proc/PID/stat) and the history database. Reports the
#    scheduling lag (the daemon's mailprobe_scheduler_lag_seconds histogram: how late each
#    run began against its planned time), CPU per check, memory over time, and the history's
#    growth per day and its size once retention deletes as much as is written.
# 2. blackbox_exporter pinned to the same core, its /probe driven by bench/http_load.mjs at
#    the same rate with the same mix (STARTTLS and TCP modules, in turn), for its CPU per
#    probe: blackbox_cpu_ratio = blackbox's CPU per probe / mailprobe's CPU per check.
#
#   bench/scheduler_scale.sh [CHECKS] [MINUTES]        (default 10000 checks, 10 minutes)
#
# It starts a lab of its own (tests/lab/lab, in SCHEDULER_SCALE_LAB_DIR on
# SCHEDULER_SCALE_PORT_BASE + the standard ports; stopped and removed at the end unless it
# was running before), listens on PORT_BASE + 1 (daemon), + 2 (blackbox_exporter) and + 3
# (TCP sink), and pins everything but the measured process to another core when there is
# one. The whole takes MINUTES + BLACKBOX_MINUTES + about 1 minute. Environment (optional):
#   MAILPROBE_BIN                      default build/src/cli/mailprobe (an optimized build)
#   SCHEDULER_SCALE_LAB_DIR=/tmp/mailprobe-scalelab
#   SCHEDULER_SCALE_PORT_BASE=29000
#   SCHEDULER_SCALE_INTERVAL=60        seconds between runs of one check
#   SCHEDULER_SCALE_RETENTION_DAYS=30  the daemon's retention (its default)
#   SCHEDULER_SCALE_BLACKBOX_MINUTES=3 how long blackbox_exporter is measured
#   SCHEDULER_SCALE_CORE=0             the core the measured process runs on
#   BLACKBOX_EXPORTER                  default: prometheus-blackbox-exporter, Debian's
#
# The last line is the summary:
#   checks=N minutes=M p50_lag_ms=… p99_lag_ms=… max_lag_ms=… cpu_per_check_us=…
#   rss_start_mb=… rss_end_mb=… blackbox_cpu_ratio=…
# Prints numbers, asserts nothing: it exits non-zero only when it cannot set up.
set -euo pipefail
checks=${1:-10000}
minutes=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bench_name=scheduler_scale
# shellcheck source=bench/lib/common.sh
source "$here/lib/common.sh"

bin=${MAILPROBE_BIN:-$root/build/src/cli/mailprobe}
lab_dir=${SCHEDULER_SCALE_LAB_DIR:-/tmp/mailprobe-scalelab}
port_base=${SCHEDULER_SCALE_PORT_BASE:-29000}
interval=${SCHEDULER_SCALE_INTERVAL:-60}
retention_days=${SCHEDULER_SCALE_RETENTION_DAYS:-30}
blackbox_minutes=${SCHEDULER_SCALE_BLACKBOX_MINUTES:-3}
core=${SCHEDULER_SCALE_CORE:-0}
sample=30 # seconds between samples, a common scrape interval

for n in "$checks" "$minutes" "$port_base" "$interval" "$retention_days" "$blackbox_minutes"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive whole number"
done
[[ $core =~ ^[0-9]+$ ]] || die "SCHEDULER_SCALE_CORE '$core' is not a core number"
((interval > 10)) || die "SCHEDULER_SCALE_INTERVAL must be over 10 (the checks' timeout)"
((minutes * 60 >= 2 * interval)) || die "MINUTES must cover two intervals (the first is warm-up)"
[[ -x $bin ]] || die "$bin is not an executable (set MAILPROBE_BIN)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
find_blackbox
need_tools node curl jq openssl getconf taskset sqlite3 awk
clk_tck=$(getconf CLK_TCK)
# Everything but the measured process (lab, TCP sink, load generator, this script's tools)
# runs on another core, so that the measured core runs the measured process and the
# machine's other work only.
other_core=$(((core + 1) % $(nproc)))
((other_core != core)) || echo "NOTE: one core only: the lab and the load share it with the measured process"
on_other_core=(taskset -c "$other_core")
launcher=(taskset -c "$core")
daemon_port=$((port_base + 1))
blackbox_port=$((port_base + 2))
sink_port=$((port_base + 3))

if (($(ulimit -n) < 4096)); then ulimit -n 4096 2>/dev/null || true; fi

# --- the lab ------------------------------------------------------------------------------

lab() {
  MAILPROBE_LAB_DIR=$lab_dir MAILPROBE_LAB_PORT_BASE=$port_base MAILPROBE_BIN=$bin \
    "${on_other_core[@]}" "$root/tests/lab/lab" "$@"
}
lab_was_up=0
lab status >/dev/null 2>&1 && lab_was_up=1
work=$(mktemp -d)
finish() {
  cleanup
  if ((!lab_was_up)); then lab down --purge >/dev/null 2>&1 || true; fi
}
trap finish EXIT
trap 'exit 130' INT TERM
lab up >"$work/lab.log" 2>&1 || die "the lab did not start: $(tail -n 5 "$work/lab.log")"
# shellcheck disable=SC1091 # written by lab up
source "$lab_dir/lab.env"

"${on_other_core[@]}" node "$here/tcp_sink.mjs" --port "$sink_port" \
  --lifetime $(((minutes + blackbox_minutes) * 60 + 600)) >"$work/sink.out" 2>&1 &
sink_pid=$!
pids+=("$sink_pid")
for _ in $(seq 50); do
  grep -q '^listening' "$work/sink.out" && break
  kill -0 "$sink_pid" 2>/dev/null || die "tcp_sink.mjs did not start: $(cat "$work/sink.out")"
  sleep 0.1
done
smtp_args=(-H localhost -p "$LAB_SMTP_PORT" -S --ca-file "$LAB_CA_FILE" -t 10)
tcp_args=(-H 127.0.0.1 -p "$sink_port" -t 10)
"$bin" check smtp "${smtp_args[@]}" >"$work/one.txt" ||
  die "a single check_smtp -S against the lab fails: $(head -n1 "$work/one.txt")"
"$bin" check tcp "${tcp_args[@]}" >"$work/one.txt" ||
  die "a single check_tcp against the sink fails: $(head -n1 "$work/one.txt")"

describe_tools
echo "load:              $checks checks every ${interval} s ($(awk -v c="$checks" -v i="$interval" \
  'BEGIN { printf "%.1f", c / i }') runs/s), every other one check_smtp -S, the others check_tcp; mailprobe on core $core"
echo "other work:        load average $(cut -d' ' -f1-3 /proc/loadavg) before the start"
echo

# --- 1. mailprobe serve ---------------------------------------------------------------------

db=$work/history.sqlite
awk -v n="$checks" -v port="$daemon_port" -v db="$db" -v days="$retention_days" \
  -v interval="$interval" -v smtp="${smtp_args[*]}" -v tcp="${tcp_args[*]}" '
  function yaml_args(text,   a, k, out) {
    split(text, a, " ")
    for (k = 1; k in a; k++) out = out (k > 1 ? ", " : "") "\"" a[k] "\""
    return "[" out "]"
  }
  BEGIN {
    print "location: bench"
    print "listen: 127.0.0.1:" port
    print "database: " db
    print "retention: " days "d"
    print "defaults: {interval: " interval "s, retry_interval: " interval "s}"
    print "checks:"
    for (i = 1; i <= n; i++) {
      if (i % 2) printf "  - {name: smtp-%06d, plugin: check_smtp, args: %s}\n", i, yaml_args(smtp)
      else printf "  - {name: tcp-%06d, plugin: check_tcp, args: %s}\n", i, yaml_args(tcp)
    }
  }' >"$work/serve.yaml"

t0=$(now_ms)
start_daemon "$work/serve.yaml" "$work/serve.log"
echo "1. mailprobe serve: started in $(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }') s; sampling every ${sample} s for ${minutes} min"

# p50, p99 and max of the scheduling lag in ms, the runs counted and those over 100 ms late,
# from the daemon's
# histogram in a /metrics file; with a second file, of what happened between the two (no
# max then: the daemon's is since its start). Quantiles as Prometheus's histogram_quantile
# computes them: linear within the bucket the rank falls into.
lag_quantiles() { # metrics file, [earlier metrics file]
  awk '
    FNR == 1 { file++ }
    /^mailprobe_scheduler_lag_seconds_bucket\{/ {
      le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le)
      if (file == 1) { if (!(le in cum)) order[++n] = le; cum[le] += $NF } else cum[le] -= $NF
    }
    /^mailprobe_scheduler_lag_max_seconds / && file == 1 { max = $NF }
    END {
      count = cum["+Inf"]
      if (count <= 0) { print "- - - 0 0"; exit }
      for (q = 1; q <= 2; q++) {
        rank = (q == 1 ? 0.5 : 0.99) * count; lower = 0; below = 0
        for (i = 1; i <= n; i++) {
          le = order[i]
          if (cum[le] >= rank) {
            if (le == "+Inf") { out[q] = ">" lower * 1000; break }
            out[q] = sprintf("%.2f", (lower + (le - lower) * (rank - below) / (cum[le] - below)) * 1000)
            break
          }
          lower = le; below = cum[le]
        }
      }
      printf "%s %s %s %d %d\n", out[1], out[2], (ARGC > 2 ? "-" : sprintf("%.1f", max * 1000)), count,
        count - cum["0.1"]
    }' "$@"
}

# One sample: seconds since the start, VmRSS kB, CPU ticks, checks run, failures, bytes of
# the database in use, rows written so far, /metrics seconds, CPU ticks of that scrape and
# the machine's load average (its other work). /metrics is kept in the file named by $2
# (the lag histogram is read from it).
take_sample() {
  local at=$1 scrape=$2 before after took runs fails used rows
  before=$(cpu_ticks "$daemon_pid")
  took=$(curl -sf -o "$scrape" -w '%{time_total}' "http://127.0.0.1:$daemon_port/metrics") || took=-1
  after=$(cpu_ticks "$daemon_pid")
  read -r runs fails < <(awk '
    /^mailprobe_check_runs_total\{/ { runs += $NF }
    /^mailprobe_check_failures_total\{/ { failures += $NF }
    END { printf "%d %d\n", runs, failures }' "$scrape")
  # Pages in use (free pages are reused before the file grows), and the newest row id.
  read -r used rows < <(sqlite3 -readonly "$db" 'SELECT (SELECT page_count FROM pragma_page_count)
    - (SELECT freelist_count FROM pragma_freelist_count), (SELECT page_size FROM pragma_page_size),
    (SELECT COALESCE(MAX(id), 0) FROM results)' 2>/dev/null | awk -F'|' '{ print $1 * $2, $3 }') ||
    true
  echo "$at $(mem_kb "$daemon_pid" VmRSS) $after $runs $fails ${used:-0} ${rows:-0} $took $((after - before)) $(cut -d' ' -f1 /proc/loadavg)"
}

samples=$((minutes * 60 / sample))
warm_index=$(((interval + 10 + sample - 1) / sample)) # the first sample after every check ran once
: >"$work/samples.txt"
for ((k = 0; k <= samples; k++)); do
  wait_ms=$((t0 + k * sample * 1000 - $(now_ms)))
  ((wait_ms <= 0)) || sleep "$(awk -v ms="$wait_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -0 "$daemon_pid" 2>/dev/null || die "mailprobe serve exited: $(tail -n 5 "$work/serve.log")"
  take_sample $((k * sample)) "$work/metrics-$k.txt" >>"$work/samples.txt"
  if ((k != 0 && k != warm_index && k != samples)); then rm -f "$work/metrics-$k.txt"; fi
done
surprises=$(daemon_surprises "$work/serve.log" "$(wc -l <"$work/serve.log")")
not_ok=$(curl -sf "http://127.0.0.1:$daemon_port/api/v1/checks" |
  jq -r '.checks[] | select(.state != "OK" and .state != "PENDING") | .summary' |
  sort | uniq -c | sort -rn | head -n 3 | sed 's/^/     /' || true)
stop "$daemon_pid"
[[ -z $surprises ]] || echo "   daemon log: $surprises"
if [[ -n $not_ok ]]; then
  echo "   checks not OK at the end:"
  echo "$not_ok"
fi

echo
echo "   memory and work over time (/metrics scraped at each sample, as a Prometheus would):"
printf '   %6s %8s %10s %9s %8s %11s %9s %9s\n' "t s" "RSS MB" "checks run" failures "DB MB" "/metrics s" "CPU s" "load avg"
awk -v tck="$clk_tck" '{ printf "   %6d %8.1f %10d %9d %8.1f %11.2f %9.1f %9s\n", $1, $2 / 1024, $4, $5,
  $6 / 1048576, $8, $3 / tck, $10 }' "$work/samples.txt"

# The window: from the first sample after the warm-up interval to the last.
read -r w0_t w0_rss w0_cpu w0_runs _ w0_used w0_rows _ <<<"$(sed -n "$((warm_index + 1))p" "$work/samples.txt")"
read -r w1_t w1_rss w1_cpu w1_runs w1_fails w1_used w1_rows _ <<<"$(tail -n1 "$work/samples.txt")"
scrape_ticks=$(awk -v from="$w0_t" '$1 > from { t += $9 } END { print t + 0 }' "$work/samples.txt")
read -r first_rss <<<"$(head -n1 "$work/samples.txt" | cut -d' ' -f2)"
runs=$((w1_runs - w0_runs))
((runs > 0)) || die "no check ran in the window"

whole_lag=$(lag_quantiles "$work/metrics-$samples.txt")
window_lag=$(lag_quantiles "$work/metrics-$samples.txt" "$work/metrics-$warm_index.txt")
read -r p50 p99 lag_max lag_count lag_late <<<"$whole_lag"
mp_cpu_us=$(awk -v t=$((w1_cpu - w0_cpu)) -v tck="$clk_tck" -v n="$runs" 'BEGIN { printf "%.0f", t / tck / n * 1e6 }')
echo
echo "   lag over the whole run ($lag_count runs): p50 $p50 ms, p99 $p99 ms, max $lag_max ms; $lag_late runs over 100 ms late"
read -r wp50 wp99 _ wcount wlate <<<"$window_lag"
echo "   lag from ${w0_t} s on ($wcount runs, every check on its grid): p50 $wp50 ms, p99 $wp99 ms; $wlate over 100 ms late"
awk -v n="$runs" -v from="$w0_t" -v s=$((w1_t - w0_t)) -v t=$((w1_cpu - w0_cpu)) -v st="$scrape_ticks" \
  -v tck="$clk_tck" -v f="$w1_fails" 'BEGIN {
    printf "   from %d s to the end (%d s): %d checks run (%.1f/s), CPU %.1f s = %.0f us per check", from, s, n, n / s, t / tck, t / tck / n * 1e6
    printf " (of which /metrics scrapes %.1f s); %.1f%% of the core; failures %d in all\n", st / tck, t / tck / s * 100, f }'
echo "   memory: $(awk -v a="$first_rss" -v b="$w0_rss" -v c="$w1_rss" 'BEGIN {
  printf "%.1f MB at start, %.1f MB after the first interval, %.1f MB at the end", a / 1024, b / 1024, c / 1024 }')"
# History: bytes per row from the pages in use, rows per day from the schedule. Retention
# deletes rows older than it once an hour (history.cpp), and SQLite reuses the freed pages,
# so the file stops growing at about a retention's worth of rows (plus an hour).
awk -v du=$((w1_used - w0_used)) -v dr=$((w1_rows - w0_rows)) -v checks="$checks" -v interval="$interval" \
  -v days="$retention_days" -v s=$((w1_t - w0_t)) 'BEGIN {
    if (dr <= 0) { print "   history: no rows written in the window"; exit }
    per_row = du / dr; rows_day = checks * 86400 / interval; per_day = per_row * rows_day
    printf "   history: %d rows, %.0f bytes per row (table and index), %.1f MB per measured hour;\n", dr, per_row, du / s * 3600 / 1048576
    printf "   at %d checks every %d s: %.2f million rows and %.2f GB per day; with retention %d d the database\n", checks, interval, rows_day / 1e6, per_day / 1e9, days
    printf "   levels off at about %.0f GB (%d days and an hour of rows; the file keeps its largest size)\n", per_day * (days + 1 / 24) / 1e9, days }'

# --- 2. blackbox_exporter at the same rate ------------------------------------------------------

{
  echo "modules:"
  blackbox_module smtp_starttls 10s "$LAB_CA_FILE"
  echo "  tcp_connect: {prober: tcp, timeout: 10s, tcp: {preferred_ip_protocol: ip4}}"
} >"$work/blackbox.yml"
rate=$(awk -v c="$checks" -v i="$interval" 'BEGIN { printf "%.4f", c / i }')
bb_seconds=$((blackbox_minutes * 60))
echo
echo "2. blackbox_exporter: $rate probes/s for ${blackbox_minutes} min, STARTTLS and TCP in turn, on core $core"
start_blackbox "$work/blackbox.log" "$blackbox_port"
base="http://127.0.0.1:$blackbox_port/probe"
"${on_other_core[@]}" node "$here/http_load.mjs" --rate "$rate" \
  --url "$base?module=smtp_starttls&target=localhost:$LAB_SMTP_PORT" \
  --url "$base?module=tcp_connect&target=127.0.0.1:$sink_port" \
  --count "$(awk -v r="$rate" -v s=$((bb_seconds + 10)) 'BEGIN { printf "%d", r * s + 1 }')" \
  --duration $((bb_seconds + 10)) --warmup 10 --timeout 15 \
  --pid "$blackbox_pid" --clk-tck "$clk_tck" >"$work/blackbox.json" ||
  die "http_load.mjs failed against blackbox_exporter"
bb_rss=$(mem_kb "$blackbox_pid" VmRSS)
stop "$blackbox_pid"
read -r bb_n bb_cpu bb_fail bb_s < <(jq -r '[.window.success + .window.failure, .window.cpu_s,
  .window.failure + .window.errors + .skipped, .window.seconds] | @tsv' "$work/blackbox.json")
((bb_n > 0)) || die "blackbox_exporter answered no probe: $(cat "$work/blackbox.json")"
bb_cpu_us=$(awk -v c="$bb_cpu" -v n="$bb_n" 'BEGIN { printf "%.0f", c / n * 1e6 }')
ratio=$(awk -v b="$bb_cpu_us" -v m="$mp_cpu_us" 'BEGIN { printf "%.2f", m ? b / m : 0 }')
awk -v n="$bb_n" -v s="$bb_s" -v c="$bb_cpu" -v f="$bb_fail" -v rss="$bb_rss" 'BEGIN {
  printf "   %d probes in %.0f s (%.1f/s), CPU %.1f s = %.0f us per probe, %.0f%% of the core; failures %d; RSS %.1f MB\n",
    n, s, n / s, c, c / n * 1e6, c / s * 100, f, rss / 1024 }'
echo "   CPU per probe, blackbox_exporter / mailprobe: $ratio"

echo
awk -v checks="$checks" -v minutes="$minutes" -v p50="$p50" -v p99="$p99" -v max="$lag_max" \
  -v cpu="$mp_cpu_us" -v a="$w0_rss" -v b="$w1_rss" -v ratio="$ratio" 'BEGIN {
  printf "checks=%d minutes=%d p50_lag_ms=%s p99_lag_ms=%s max_lag_ms=%s cpu_per_check_us=%s rss_start_mb=%.1f rss_end_mb=%.1f blackbox_cpu_ratio=%s\n",
    checks, minutes, p50, p99, max, cpu, a / 1024, b / 1024, ratio }'
