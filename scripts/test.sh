#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: lint, unit tests, the lab
# integration tests against real Postfix and Dovecot, and the unit tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --reference
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
bash scripts/lint.sh build
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 300

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMAILPROBE_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs" --target unit_tests mailstore_tests dns_lab_tests
ctest --test-dir build-asan -L 'unit|mailstore|dns' --output-on-failure -j "$jobs" --timeout 300
echo "test.sh: all tests passed"
