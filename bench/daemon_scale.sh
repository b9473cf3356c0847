#!/usr/bin/env bash
# The daemon at scale against blackbox_exporter, in the same run, on loopback only:
#
# 1. Throughput: SMTP STARTTLS probes (verified against the lab's CA) at the same rate
#    against the lab's Postfix, three ways: `mailprobe serve` running N scheduled checks,
#    mailprobe's /probe driven over HTTP, and blackbox_exporter's /probe driven the same
#    way. For each: probes answered, probes per second, CPU seconds (utime + stime of that
#    one process, from /proc/PID/stat) per 1000 probes over a window after a warm-up, peak
#    resident memory (VmHWM) and failures.
# 2. Concurrency: 1000 probes in flight at once. Postfix stops at 100 smtpd processes, so
#    bench/slow_smtp.mjs plays the server: it completes STARTTLS and then holds its answer
#    to the EHLO inside TLS, so every probe keeps a live TLS session open, and it counts
#    the peak of open TLS sessions itself. A burst of 1000 /probe requests to each tool,
#    and the daemon with 1000 scheduled checks. Reports the peak sessions seen by the
#    server and each tool's peak resident memory.
#
#   bench/daemon_scale.sh MAILPROBE_BIN LAB_ENV [SECONDS]
#
# SECONDS is the measurement window of each throughput run (default 20); the three runs
# are repeated in ROUNDS rounds, each in another order, and the whole takes about
# 3 * ROUNDS * (SECONDS + 8) + 60 seconds. Environment (all optional):
#   DAEMON_SCALE_ROUNDS=3       rounds of the three throughput runs
#   DAEMON_SCALE_CHECKS=200     scheduled checks in the throughput phase
#   DAEMON_SCALE_INTERVAL=5     their interval in seconds: the rate is CHECKS / INTERVAL
#   DAEMON_SCALE_CONCURRENT=1000  probes in flight in the concurrency phase
#   DAEMON_SCALE_HOLD=8         seconds slow_smtp.mjs holds each session in the burst
#   BLACKBOX_EXPORTER           the exporter (default: prometheus-blackbox-exporter, Debian's)
#
# Prints numbers, asserts nothing: it exits non-zero only when it cannot set up.
set -euo pipefail
usage="usage: daemon_scale.sh MAILPROBE_BIN LAB_ENV [SECONDS]"
bin=${1:?$usage}
lab_env=${2:?$usage}
seconds=${3:-20}
rounds=${DAEMON_SCALE_ROUNDS:-3}
checks=${DAEMON_SCALE_CHECKS:-200}
interval=${DAEMON_SCALE_INTERVAL:-5}
concurrent=${DAEMON_SCALE_CONCURRENT:-1000}
hold=${DAEMON_SCALE_HOLD:-8}
here=$(cd "$(dirname "$0")" && pwd)
bench_name=daemon_scale
# shellcheck source=bench/lib/common.sh
source "$here/lib/common.sh"

# --- setup: tools, lab, limits ------------------------------------------------------------

[[ -x $bin ]] || die "$bin is not an executable"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[[ -r $lab_env ]] || die "$lab_env: no lab environment (tests/lab/lab up writes it)"
# shellcheck disable=SC1090
source "$lab_env"
[[ -n ${LAB_SMTP_PORT:-} && -r ${LAB_CA_FILE:-} ]] || die "$lab_env lacks LAB_SMTP_PORT or LAB_CA_FILE"
for n in "$seconds" "$rounds" "$checks" "$interval" "$concurrent" "$hold"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive whole number"
done
((interval >= 2)) || die "DAEMON_SCALE_INTERVAL must be at least 2 (the check's timeout must be shorter)"
find_blackbox
need_tools node curl jq openssl getconf
clk_tck=$(getconf CLK_TCK)

# Every process holds one socket per probe in flight, mailprobe two (HTTP and SMTP).
want_files=$((2 * concurrent + 1024))
if (($(ulimit -n) < want_files)); then
  ulimit -n "$want_files" 2>/dev/null ||
    die "ulimit -n $want_files is refused (hard limit $(ulimit -Hn)); lower DAEMON_SCALE_CONCURRENT"
fi

(exec 3<>"/dev/tcp/127.0.0.1/$LAB_SMTP_PORT") 2>/dev/null ||
  die "nothing listens on 127.0.0.1:$LAB_SMTP_PORT: start the lab (tests/lab/lab up)"
"$bin" check smtp -H localhost -p "$LAB_SMTP_PORT" -S --ca-file "$LAB_CA_FILE" -t 5 >/dev/null ||
  die "a single check_smtp -S against the lab fails: $("$bin" check smtp -H localhost -p "$LAB_SMTP_PORT" -S --ca-file "$LAB_CA_FILE" -t 5 | head -n1)"

work=$(mktemp -d)
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers ----------------------------------------------------------------------------

# Starts slow_smtp.mjs holding each session HOLD seconds. Sets slow_pid and slow_port.
start_slow() {
  local hold_s=$1 out=$2
  node "$here/slow_smtp.mjs" --key "$work/slow.key" --cert "$work/slow.pem" --hold "$hold_s" \
    --lifetime 180 --max-connections $((concurrent + 100)) >"$out" 2>"$out.err" &
  slow_pid=$!
  pids+=("$slow_pid")
  for _ in $(seq 100); do
    slow_port=$(awk '/^listening/ { print $2 }' "$out")
    [[ -n $slow_port ]] && return 0
    sleep 0.1
  done
  die "slow_smtp.mjs did not start: $(cat "$out.err")"
}
# Stops it and prints its one line of JSON (peaks of open and TLS sessions).
stop_slow() {
  stop "$slow_pid"
  tail -n1 "$1"
}

# One result row, kept for the tables: tool, mode, probes, seconds, cpu, hwm kB, failures.
rows=()
row() { rows+=("$(printf '%s|%s|%s|%s|%s|%s|%s' "$@")"); }

# --- configuration ------------------------------------------------------------------------

rate=$(awk -v c="$checks" -v i="$interval" 'BEGIN { printf "%g", c / i }')
timeout=$((interval > 3 ? 3 : interval - 1))
warm_sched=$((interval + 2)) # first runs are spread over the interval
warm_http=3

# The slow server's certificate, self-signed for "localhost": the CA file for both tools.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -days 2 -nodes \
  -keyout "$work/slow.key" -out "$work/slow.pem" >/dev/null 2>&1 || die "openssl cannot make a certificate"

# The same conversation as check_smtp -S (blackbox_module, bench/lib/common.sh).
{
  echo "modules:"
  blackbox_module smtp_starttls 5s "$LAB_CA_FILE"
  blackbox_module smtp_starttls_slow 60s "$work/slow.pem"
} >"$work/blackbox.yml"

# A daemon that only serves /probe still needs one check: a TCP connect to the lab once an
# hour (it runs once, at most 60 s after the start, a negligible cost).
probe_daemon_config() { # file, max_concurrent
  local database
  database=$work/$(basename "$1" .yaml).sqlite
  cat >"$1" <<EOF
location: bench
listen: 127.0.0.1:0
database: $database
max_concurrent: $2
defaults: {interval: 1h}
checks:
  - {name: idle, plugin: check_tcp, args: [-H, 127.0.0.1, -p, "$LAB_SMTP_PORT", -t, "2"], passive: true}
modules:
  smtp_starttls: {plugin: check_smtp, args: [-S, --ca-file, "$LAB_CA_FILE"], timeout: 5s}
  smtp_starttls_slow: {plugin: check_smtp, args: [-S, --ca-file, "$work/slow.pem"], timeout: 60s}
EOF
}

# --- what runs ----------------------------------------------------------------------------

describe_tools
echo

# --- 1. throughput against Postfix --------------------------------------------------------

echo "1. Throughput: $rate STARTTLS probes/s against Postfix on 127.0.0.1:$LAB_SMTP_PORT, $rounds rounds of a ${seconds} s window each"

# 1a. Scheduled checks: N checks every INTERVAL seconds; a failure is retested on the same
# interval, so the rate stays the same whatever happens.
{
  echo "location: bench"
  echo "listen: 127.0.0.1:0"
  echo "database: $work/scheduled.sqlite"
  echo "defaults: {interval: ${interval}s, retry_interval: ${interval}s}"
  echo "checks:"
  for i in $(seq -w "$checks"); do
    echo "  - {name: smtp-$i, plugin: check_smtp, args: [-H, localhost, -p, \"$LAB_SMTP_PORT\", -S, --ca-file, \"$LAB_CA_FILE\", -t, \"$timeout\"]}"
  done
} >"$work/scheduled.yaml"
run_scheduled() { # -> a row
  local t0 t1 c0 c1 runs0 fails0 runs1 fails1 hwm surprises
  rm -f "$work"/scheduled.sqlite*
  start_daemon "$work/scheduled.yaml" "$work/scheduled.log"
  sleep "$warm_sched"
  t0=$(now_ms) c0=$(cpu_ticks "$daemon_pid")
  read -r runs0 fails0 < <(daemon_counts "$daemon_port")
  sleep "$seconds"
  t1=$(now_ms) c1=$(cpu_ticks "$daemon_pid")
  read -r runs1 fails1 < <(daemon_counts "$daemon_port")
  hwm=$(mem_kb "$daemon_pid" VmHWM)
  surprises=$(daemon_surprises "$work/scheduled.log" "$(wc -l <"$work/scheduled.log")")
  if ((fails1 > fails0)); then
    # Which failures: the distinct headlines of the checks that are not OK now.
    curl -sf "http://127.0.0.1:$daemon_port/api/v1/checks" |
      jq -r '.checks[] | select(.state != "OK" and .state != "PENDING") | .summary' |
      sort | uniq -c | sort -rn | head -n 3 | sed 's/^/   scheduled failure: /' >&2 || true
  fi
  stop "$daemon_pid"
  [[ -z $surprises ]] || echo "   daemon log (scheduled): $surprises" >&2
  row mailprobe "scheduled ($checks checks)" $((runs1 - runs0)) $((t1 - t0)) $((c1 - c0)) "$hwm" $((fails1 - fails0))
}

# 1b/1c. /probe over HTTP at the same rate, open loop, keep-alive as Prometheus scrapes.
http_run() { # tool, pid, url
  local json
  json=$(node "$here/http_load.mjs" --url "$3" --rate "$rate" \
    --count "$(awk -v r="$rate" -v s=$((seconds + warm_http)) 'BEGIN { printf "%d", r * s + 1 }')" \
    --duration $((seconds + warm_http)) --warmup "$warm_http" --timeout 10 \
    --pid "$2" --clk-tck "$clk_tck")
  echo "$json" >"$work/$1.json"
  # probes answered, window ms, CPU ticks, failures (probe_success 0, HTTP errors, skipped)
  jq -r --argjson tck "$clk_tck" '[.window.success + .window.failure, (.window.seconds * 1000 | round),
    (.window.cpu_s * $tck | round), .window.failure + .window.errors + .skipped] | @tsv' <<<"$json"
}

probe_daemon_config "$work/probe.yaml" 256
run_probe() { # -> a row
  local n ms ticks fails hwm surprises
  rm -f "$work"/probe.sqlite*
  start_daemon "$work/probe.yaml" "$work/probe.log"
  read -r n ms ticks fails < <(http_run mailprobe-probe "$daemon_pid" \
    "http://127.0.0.1:$daemon_port/probe?module=smtp_starttls&target=localhost:$LAB_SMTP_PORT")
  [[ -n $n ]] || die "http_load.mjs failed against mailprobe /probe"
  hwm=$(mem_kb "$daemon_pid" VmHWM)
  surprises=$(daemon_surprises "$work/probe.log" "$(wc -l <"$work/probe.log")")
  stop "$daemon_pid"
  [[ -z $surprises ]] || echo "   daemon log (/probe): $surprises" >&2
  row mailprobe "/probe" "$n" "$ms" "$ticks" "$hwm" "$fails"
}

run_blackbox() { # -> a row
  local n ms ticks fails hwm
  start_blackbox "$work/blackbox.log"
  read -r n ms ticks fails < <(http_run blackbox-probe "$blackbox_pid" \
    "http://127.0.0.1:$blackbox_port/probe?module=smtp_starttls&target=localhost:$LAB_SMTP_PORT")
  [[ -n $n ]] || die "http_load.mjs failed against blackbox_exporter /probe"
  hwm=$(mem_kb "$blackbox_pid" VmHWM)
  stop "$blackbox_pid"
  row blackbox_exporter "/probe" "$n" "$ms" "$ticks" "$hwm" "$fails"
}

# The three in turn, each round in another order: a machine whose speed drifts (other
# guests on the host, CPU frequency) then weighs on all three alike.
runs=(run_scheduled run_probe run_blackbox)
for ((round = 0; round < rounds; round++)); do
  for ((i = 0; i < 3; i++)); do
    "${runs[(i + round) % 3]}"
  done
done

# Sums over the rounds per tool and mode; CPU per probe from the sums.
echo
printf '%-18s %-22s %7s %9s %13s %12s %9s\n' tool mode probes probes/s "CPU s/1000" "peak RSS MB" failures
modes=("mailprobe|scheduled ($checks checks)" "mailprobe|/probe" "blackbox_exporter|/probe")
declare -A per_probe
rows_of() { # tool|mode: the rows of that run, one per round
  local r
  for r in "${rows[@]}"; do
    if [[ $r == "$1|"* ]]; then echo "$r"; fi
  done
}
for m in "${modes[@]}"; do
  total=$(rows_of "$m" | awk -F'|' '
    { n += $3; ms += $4; t += $5; if ($6 > hwm) hwm = $6; f += $7 }
    END { printf "%d|%d|%d|%d|%d", n, ms, t, hwm, f }')
  IFS='|' read -r n ms ticks hwm fails <<<"$total"
  IFS='|' read -r tool mode <<<"$m"
  awk -v tool="$tool" -v mode="$mode" -v n="$n" -v ms="$ms" -v t="$ticks" -v tck="$clk_tck" \
    -v hwm="$hwm" -v f="$fails" 'BEGIN {
      printf "%-18s %-22s %7d %9.1f %13s %12.1f %9d\n", tool, mode, n, n / (ms / 1000),
        n ? sprintf("%.2f", t / tck / n * 1000) : "-", hwm / 1024, f }'
  per_probe[$m]=$(awk -v n="$n" -v t="$ticks" 'BEGIN { print n ? t / n : 0 }')
done
# CPU per probe of blackbox_exporter divided by mailprobe's (the target is 2 or more), over
# all rounds and per round (the spread says how far the machine's noise reaches).
round_ratios() { # mode of mailprobe -> "r1 r2 r3"
  local i bbs mps out=()
  mapfile -t bbs < <(rows_of "blackbox_exporter|/probe")
  mapfile -t mps < <(rows_of "mailprobe|$1")
  for ((i = 0; i < rounds; i++)); do
    out+=("$(awk -v bb="${bbs[i]}" -v mp="${mps[i]}" 'BEGIN {
      split(bb, b, "|"); split(mp, m, "|")
      printf "%.2f", (m[5] && b[3] && m[3]) ? (b[5] / b[3]) / (m[5] / m[3]) : 0 }')")
  done
  echo "${out[*]}"
}
for m in "${modes[@]:0:2}"; do
  IFS='|' read -r _ mode <<<"$m"
  awk -v bb="${per_probe["blackbox_exporter|/probe"]}" -v mp="${per_probe[$m]}" -v mode="$mode" \
    -v rounds="$(round_ratios "$mode")" 'BEGIN {
    r = mp ? bb / mp : 0
    printf "CPU per probe, blackbox_exporter / mailprobe %s: %.2f (target 2: %s; per round: %s)\n",
      mode, r, (r >= 2 ? "met" : "not met"), rounds }'
done

# --- 2. concurrency: CONCURRENT TLS sessions at once ------------------------------------------

echo
echo "2. Concurrency: $concurrent STARTTLS probes at once against slow_smtp.mjs (each TLS session held ${hold} s)"
crows=()
# The burst: CONCURRENT /probe requests at once, one each; the window is the whole burst.
burst() { # name, pid, url -> probes ok, failures, CPU ticks, ms
  local json
  json=$(node "$here/http_load.mjs" --url "$3" --concurrency "$concurrent" --count "$concurrent" \
    --duration $((hold + 60)) --timeout $((hold + 50)) --pid "$2" --clk-tck "$clk_tck")
  echo "$json" >"$work/$1.json"
  jq -r --argjson tck "$clk_tck" '[.window.success, .window.failure + .window.errors,
    (.window.cpu_s * $tck | round), (.window.seconds * 1000 | round)] | @tsv' <<<"$json"
}
peak_tls() { jq -r '.tls_peak' <<<"$1"; }

probe_daemon_config "$work/burst.yaml" "$concurrent"
start_daemon "$work/burst.yaml" "$work/burst.log"
start_slow "$hold" "$work/slow-mailprobe.out"
idle=$(mem_kb "$daemon_pid" VmRSS)
read -r ok fails ticks ms < <(burst mailprobe-burst "$daemon_pid" \
  "http://127.0.0.1:$daemon_port/probe?module=smtp_starttls_slow&target=localhost:$slow_port")
[[ -n $ok ]] || die "http_load.mjs failed in the burst against mailprobe"
hwm=$(mem_kb "$daemon_pid" VmHWM)
stats=$(stop_slow "$work/slow-mailprobe.out")
stop "$daemon_pid"
crows+=("mailprobe|/probe burst|$ok|$fails|$(peak_tls "$stats")|$idle|$hwm|$ticks|$ms")

start_blackbox "$work/blackbox-burst.log"
start_slow "$hold" "$work/slow-blackbox.out"
idle=$(mem_kb "$blackbox_pid" VmRSS)
read -r ok fails ticks ms < <(burst blackbox-burst "$blackbox_pid" \
  "http://127.0.0.1:$blackbox_port/probe?module=smtp_starttls_slow&target=localhost:$slow_port")
[[ -n $ok ]] || die "http_load.mjs failed in the burst against blackbox_exporter"
hwm=$(mem_kb "$blackbox_pid" VmHWM)
stats=$(stop_slow "$work/slow-blackbox.out")
stop "$blackbox_pid"
crows+=("blackbox_exporter|/probe burst|$ok|$fails|$(peak_tls "$stats")|$idle|$hwm|$ticks|$ms")

# The daemon with CONCURRENT scheduled checks every 10 s. Their first runs are spread over
# the interval by name, so they overlap as much as a run's length allows: the server holds
# each session 9 s of the 10, the checks' timeout is 9.5 s, and the peak is read over the
# second round, when every check is on its grid.
start_slow 9 "$work/slow-scheduled.out"
{
  echo "location: bench"
  echo "listen: 127.0.0.1:0"
  echo "database: $work/scheduled-slow.sqlite"
  echo "max_concurrent: $concurrent"
  echo "defaults: {interval: 10s, retry_interval: 10s}"
  echo "checks:"
  for i in $(seq -w "$concurrent"); do
    echo "  - {name: slow-$i, plugin: check_smtp, args: [-H, localhost, -p, \"$slow_port\", -S, --ca-file, \"$work/slow.pem\"], timeout: 9500ms}"
  done
} >"$work/scheduled-slow.yaml"
start_daemon "$work/scheduled-slow.yaml" "$work/scheduled-slow.log"
idle=$(mem_kb "$daemon_pid" VmRSS)
sleep 21
read -r runs fails < <(daemon_counts "$daemon_port")
hwm=$(mem_kb "$daemon_pid" VmHWM)
surprises=$(daemon_surprises "$work/scheduled-slow.log" "$(wc -l <"$work/scheduled-slow.log")")
stats=$(stop_slow "$work/slow-scheduled.out")
stop "$daemon_pid"
crows+=("mailprobe|scheduled ($concurrent checks)|$((runs - fails))|$fails|$(peak_tls "$stats")|$idle|$hwm|-|-")
[[ -z $surprises ]] || echo "   daemon log (scheduled, slow): $surprises"

echo
printf '%-18s %-24s %9s %9s %10s %13s %12s %11s %7s\n' tool mode "probes ok" failures "peak TLS" "RSS start MB" "peak RSS MB" "CPU s/1000" "wall s"
for r in "${crows[@]}"; do
  IFS='|' read -r tool mode ok fails peak idle hwm ticks ms <<<"$r"
  awk -v tool="$tool" -v mode="$mode" -v ok="$ok" -v f="$fails" -v peak="$peak" -v idle="$idle" \
    -v hwm="$hwm" -v t="$ticks" -v ms="$ms" -v tck="$clk_tck" 'BEGIN {
      cpu = t == "-" || ok + f == 0 ? "-" : sprintf("%.2f", t / tck / (ok + f) * 1000)
      wall = ms == "-" ? "-" : sprintf("%.1f", ms / 1000)
      printf "%-18s %-24s %9d %9d %10d %13.1f %12.1f %11s %7s\n", tool, mode, ok, f, peak,
        idle / 1024, hwm / 1024, cpu, wall }'
done
echo "(peak TLS: the most TLS sessions open at once, counted by slow_smtp.mjs; target: $concurrent under 100 MB)"
