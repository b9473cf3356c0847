#!/usr/bin/env bash
# Fuzzes every parser of outside input with libFuzzer (tests/fuzz): builds build-fuzz with
# clang (instrumented for coverage, ASan and UBSan), then runs each target in turn for
# SECONDS_PER_TARGET on its kept corpus and dictionary, and prints per target the
# executions, their rate, the coverage reached and what was found.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#
# Environment (all optional):
#   FUZZ_TARGETS="smtp_reply dns_records"  only these targets (default: all)
#   FUZZ_RUNS=10000000    stop a target after this many executions, if that comes first
#   FUZZ_CPU=1            pin the fuzzing to these CPUs (taskset), to leave the rest free
#   FUZZ_MAX_LEN=2048     longest input (default: libFuzzer's, from the corpus); shorter
#                         inputs run faster, and no line parser reads past a few KiB
#   FUZZ_MERGE=1          afterwards, add to the kept corpus the inputs found that reach
#                         code it does not (libFuzzer -merge=1 into tests/fuzz/corpus/TARGET)
#
# New inputs go to build-fuzz/corpus/TARGET (the kept corpus is only read); an input that
# crashes, hangs (over 10 s), leaks or grows past 2 GB is written to build-fuzz/artifacts/
# and the script fails, naming it. Reproduce with: build-fuzz/tests/fuzz/fuzz_TARGET FILE.
# A crash found is fixed and its input added to tests/fuzz/corpus/TARGET, so that the test
# command (fuzz_replay) guards it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
case "$seconds" in
  '' | *[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac
runs=${FUZZ_RUNS:--1}
build="build-fuzz"

if ! command -v clang++-14 >/dev/null || [ ! -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "fuzz.sh: clang-14 and libclang-rt-14-dev are needed (apt-get install clang-14 libclang-rt-14-dev)" >&2
    exit 2
  fi
  apt-get update -qq && apt-get install -y -qq clang-14 libclang-rt-14-dev >/dev/null
fi
bash scripts/setup.sh >/dev/null

# -O1 with line tables: fast enough to fuzz, and reports name the line.
CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DMAILPROBE_FUZZ=ON \
  -DMAILPROBE_TESTS=OFF -DMAILPROBE_BENCH=OFF >/dev/null
targets=${FUZZ_TARGETS:-$(sed -n '/^set(MAILPROBE_FUZZ_TARGETS/,/)/p' tests/fuzz/CMakeLists.txt |
  tr -d '()' | tr ' ' '\n' | grep -v -e '^set' -e MAILPROBE_FUZZ_TARGETS -e '^$' | tr '\n' ' ')}
programs=()
for target in $targets; do programs+=("fuzz_$target"); done
cmake --build "$build" -j "$(nproc)" --target "${programs[@]}"

pin=()
[ -n "${FUZZ_CPU:-}" ] && pin=(taskset -c "$FUZZ_CPU")
max_len=()
[ -n "${FUZZ_MAX_LEN:-}" ] && max_len=(-max_len="$FUZZ_MAX_LEN")
mkdir -p "$build/artifacts"
failed=()
printf '%-18s %12s %10s %8s %8s %s\n' target executions exec/s cov ft found
for target in $targets; do
  dict=$(sed -n "s/^set(MAILPROBE_FUZZ_DICT_$target \\(.*\\))$/\\1/p" tests/fuzz/CMakeLists.txt)
  kept=tests/fuzz/corpus/$target
  work=$build/corpus/$target
  mkdir -p "$work"
  log=$build/artifacts/$target.log
  status=0
  # stdin from /dev/null: plugin_options may name /dev/stdin as a password file.
  "${pin[@]}" "$build/tests/fuzz/fuzz_$target" "$work" "$kept" -dict="tests/fuzz/dict/$dict.dict" \
    -max_total_time="$seconds" -runs="$runs" "${max_len[@]}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" </dev/null >"$log" 2>&1 ||
    status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  features=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  found=ok
  if [ "$status" != 0 ]; then
    found=$(grep -m1 -o -e 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*' -e 'ERROR: libFuzzer: [a-z-]*' \
      -e 'runtime error: .*' "$log" || echo "exit $status")
    input=$(sed -n 's/.*Test unit written to //p' "$log" | head -1)
    failed+=("$target: $found (log $log, input ${input:-none written})")
  fi
  printf '%-18s %12s %10s %8s %8s %s\n' "$target" "${executions:-?}" "${rate:-?}" "${coverage:-?}" \
    "${features:-?}" "$found"
  if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$status" = 0 ]; then
    "$build/tests/fuzz/fuzz_$target" -merge=1 "${max_len[@]}" "$kept" "$work" </dev/null \
      >"$build/artifacts/$target.merge.log" 2>&1
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  printf 'fuzz.sh: found %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz.sh: nothing found in ${seconds} s per target"
