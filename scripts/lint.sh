#!/usr/bin/env bash
# Style and static checks: clang-format on every C++ file, clang-tidy on src/ (using the
# compile database of the build directory given, default build).
#
#   scripts/lint.sh [BUILD_DIR] [--deep]
#
# The test command runs clang-tidy's bug-finding, performance and modernize checks of
# .clang-tidy. --deep adds the clang-analyzer checks too: path-sensitive analysis that takes
# more than half of clang-tidy's time (minutes on two cores), run before a larger change.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build
deep=0
for arg in "$@"; do
  case $arg in
    --deep) deep=1 ;;
    -*) echo "lint: unknown option '$arg' (known: --deep)" >&2; exit 2 ;;
    *) build_dir=$arg ;;
  esac
done
checks=()
[ "$deep" = 1 ] || checks=(-checks=-clang-analyzer-*)

mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if ! clang-format --dry-run -Werror "${files[@]}"; then
  echo "lint: clang-format disagrees with the files above (run: clang-format -i <file>)" >&2
  exit 1
fi
echo "lint: clang-format clean (${#files[@]} files)"

if [ ! -f "$build_dir/compile_commands.json" ]; then
  echo "lint: $build_dir/compile_commands.json missing; configure the build first" >&2
  exit 1
fi
mapfile -t sources < <(git ls-files 'src/*.cpp')
# -Wno-unknown-warning-option: the GCC-only options of a sanitized build (cmake/warnings.cmake)
# are nothing clang has to know.
run-clang-tidy -quiet -p "$build_dir" -j "$(nproc)" -extra-arg=-Wno-unknown-warning-option \
  "${checks[@]}" "${sources[@]/#/$PWD/}" > "$build_dir/clang-tidy.log" 2>&1 || {
  grep -E 'error:|warning:' "$build_dir/clang-tidy.log" | sort -u | head -50 >&2
  echo "lint: clang-tidy found problems (full log: $build_dir/clang-tidy.log)" >&2
  exit 1
}
echo "lint: clang-tidy clean (${#sources[@]} files$([ "$deep" = 1 ] && echo ', with clang-analyzer'))"
