#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: lint, unit tests, the lab
# integration tests against real Postfix and Dovecot, the DNS lab, the Debian package under
# Nagios 4 and Icinga 2, and the unit tests again under AddressSanitizer +
# UndefinedBehaviorSanitizer. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --reference
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"

# Lint (CPU-bound) runs while the tests (mostly waiting on servers) do; every test that
# asserts a time leaves room for a loaded machine.
bash scripts/lint.sh build >build/lint.log 2>&1 &
lint=$!
tests_ok=1
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 300 -LE package || tests_ok=0
lint_ok=1
wait "$lint" || lint_ok=0
cat build/lint.log
[ "$lint_ok" = 1 ] || { echo "test.sh: lint failed" >&2; exit 1; }
[ "$tests_ok" = 1 ] || { echo "test.sh: tests failed" >&2; exit 1; }
# The package builds and installs: alone.
ctest --test-dir build --output-on-failure --timeout 1500 -L package

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMAILPROBE_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs" --target unit_tests mailstore_tests dns_lab_tests
ctest --test-dir build-asan -L 'unit|mailstore|dns' -LE 'package' --output-on-failure -j "$jobs" --timeout 300
echo "test.sh: all tests passed"
