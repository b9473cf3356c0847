#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: lint, unit tests, the lab
# integration tests against real Postfix and Dovecot, the DNS lab, the daemon, the
# dashboard, and the Debian package under Nagios 4 and Icinga 2. Run as root on Debian 12.
#
# One build serves every test, instrumented with AddressSanitizer and
# UndefinedBehaviorSanitizer: each test then also proves that what it ran read no memory
# it should not, leaked nothing (LeakSanitizer, at exit) and did no undefined arithmetic.
# Debug (assertions on) at -O0: the tests mostly wait on servers, and instrumented code
# compiles 2.5 times faster unoptimized than at -O1; -g1 (line tables) is all a sanitizer
# report needs, where full -g doubles the time of the Beast-heavy files. The package test
# then builds the package as Debian does.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --reference
jobs=$(nproc)
build="build-test"

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DMAILPROBE_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$jobs"

# Lint (CPU-bound) runs while the tests (mostly waiting on servers) do; every test that
# asserts a time leaves room for a loaded machine.
bash scripts/lint.sh "$build" >"$build/lint.log" 2>&1 &
lint=$!
tests_ok=1
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 300 -LE package || tests_ok=0
lint_ok=1
wait "$lint" || lint_ok=0
cat "$build/lint.log"
[ "$lint_ok" = 1 ] || { echo "test.sh: lint failed" >&2; exit 1; }
[ "$tests_ok" = 1 ] || { echo "test.sh: tests failed" >&2; exit 1; }
# The package builds and installs: alone.
ctest --test-dir "$build" --output-on-failure --timeout 1500 -L package
echo "test.sh: all tests passed"
