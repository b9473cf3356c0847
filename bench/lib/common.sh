# shellcheck shell=bash disable=SC2154 # bin, blackbox and work are the sourcing script's
# What the daemon benchmarks share: the processes they start (and stop at exit), CPU and
# memory of a process from /proc, `mailprobe serve` and blackbox_exporter started and
# waited for, blackbox_exporter's module for mailprobe's STARTTLS conversation.
#
# Sourced, not run. The script sets before sourcing:
#   bench_name   its name, for messages
# and before calling what uses them:
#   bin          the mailprobe binary (absolute path)
#   blackbox     the blackbox_exporter binary
#   work         a directory of its own (removed at exit)
# `launcher`, an array, prefixes the daemons started (e.g. taskset -c 0); empty by default.

die() {
  echo "${bench_name:-bench}: $*" >&2
  exit 1
}

launcher=()
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 40); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [[ -n ${work:-} ]]; then rm -rf "$work"; fi
}

# utime + stime of a process, in clock ticks (fields 14 and 15; the name may hold spaces).
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  local -a f
  read -ra f <<<"$stat"
  echo $((f[11] + f[12]))
}
# VmHWM (peak resident) or VmRSS of a process, in kB.
mem_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

# Every tool named must be on PATH, and Node.js must be 20 or later.
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is needed"
  done
  local node_major
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  ((node_major >= 20)) || die "Node.js 20 or later is needed (found $(node --version))"
}

# blackbox_exporter: $BLACKBOX_EXPORTER, else Debian's or one on PATH.
find_blackbox() {
  blackbox=${BLACKBOX_EXPORTER:-$(command -v prometheus-blackbox-exporter || command -v blackbox_exporter || true)}
  [[ -n $blackbox && -x $blackbox ]] ||
    die "no blackbox_exporter (apt-get install prometheus-blackbox-exporter, or set BLACKBOX_EXPORTER)"
}

# What runs, and a note when mailprobe was compiled without optimization: a Debug build
# spends several times the CPU in its own code.
describe_tools() {
  echo "mailprobe:         $bin ($("$bin" --version))"
  echo "blackbox_exporter: $blackbox ($("$blackbox" --version 2>&1 | head -n1 | sed 's/^blackbox_exporter, //'))"
  echo "machine:           $(nproc) cores, $(uname -sr), $(openssl version | cut -d' ' -f1-2), node $(node --version)"
  if command -v readelf >/dev/null; then
    local producer
    producer=$(readelf --debug-dump=info "$bin" 2>/dev/null | grep -m1 DW_AT_producer || true)
    if [[ -n $producer && ! $producer =~ \ -O[1-3s]?( |$) ]]; then
      echo "NOTE: $bin was compiled without optimization (${producer##*): }): its CPU numbers are a Debug build's"
    fi
  fi
}

# Stops one process we started and waits for it (bounded: the daemon waits up to 15 s for
# running checks, then it is killed).
stop() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 80); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# A port that was free a moment ago, for blackbox_exporter (which cannot report a port 0).
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });'
}

# Starts `mailprobe serve` and reads its port from its first log line (the config may say
# `listen: 127.0.0.1:0`). Sets daemon_pid and daemon_port.
start_daemon() {
  local config=$1 log=$2
  : >"$log" # read below before the daemon may have opened it
  "${launcher[@]}" "$bin" serve -c "$config" >"$log" 2>&1 &
  daemon_pid=$!
  pids+=("$daemon_pid")
  for _ in $(seq 300); do
    daemon_port=$(sed -n 's|.*serving [0-9]* checks at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log")
    [[ -n $daemon_port ]] && return 0
    kill -0 "$daemon_pid" 2>/dev/null || die "mailprobe serve exited: $(cat "$log")"
    sleep 0.1
  done
  die "mailprobe serve did not start within 30 s: $(cat "$log")"
}

# Starts blackbox_exporter with $work/blackbox.yml on PORT, or on a free port. Sets
# blackbox_pid and blackbox_port.
start_blackbox() {
  local log=$1 port=${2:-}
  for _ in 1 2 3; do
    blackbox_port=${port:-$(free_port)}
    "${launcher[@]}" "$blackbox" --config.file="$work/blackbox.yml" \
      --web.listen-address="127.0.0.1:$blackbox_port" >"$log" 2>&1 &
    blackbox_pid=$!
    pids+=("$blackbox_pid")
    for _ in $(seq 100); do
      curl -sf "http://127.0.0.1:$blackbox_port/-/healthy" >/dev/null 2>&1 && return 0
      kill -0 "$blackbox_pid" 2>/dev/null || break
      sleep 0.1
    done
    stop "$blackbox_pid"
    [[ -z $port ]] || break # a given port is not tried again
  done
  die "blackbox_exporter did not start: $(cat "$log")"
}

# blackbox_exporter's module for the conversation of check_smtp -S: banner, EHLO,
# STARTTLS, TLS (verified against the CA, name localhost), EHLO again, QUIT.
blackbox_module() { # name, timeout, CA file
  cat <<EOF
  $1:
    prober: tcp
    timeout: $2
    tcp:
      preferred_ip_protocol: ip4
      query_response:
        - expect: "^220"
        - send: "EHLO bench.invalid"
        - expect: "^250 "
        - send: "STARTTLS"
        - expect: "^220"
        - starttls: true
        - send: "EHLO bench.invalid"
        - expect: "^250 "
        - send: "QUIT"
        - expect: "^221"
      tls_config: {ca_file: "$3", server_name: localhost}
EOF
}

# Sum of the scheduled checks' runs and failures, from /metrics.
daemon_counts() {
  curl -sf "http://127.0.0.1:$1/metrics" | awk '
    /^mailprobe_check_runs_total\{/ { runs += $NF }
    /^mailprobe_check_failures_total\{/ { failures += $NF }
    END { printf "%d %d\n", runs, failures }'
}

# Log lines of the daemon beyond the expected ones, up to line N: errors would show here.
daemon_surprises() {
  head -n "$2" "$1" | grep -v -E '^mailprobe: (serving|stopping|stopped)' | head -n 5 || true
}
