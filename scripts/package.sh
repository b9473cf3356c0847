#!/usr/bin/env bash
# Builds the Debian package from this source tree: scripts/package.sh [OUTDIR]
# (default dist/). The build runs in a copy of the tracked files (no build directories),
# with dpkg-buildpackage and debian/ (debhelper 13, cmake); the .deb is left in OUTDIR and
# its path is the last line printed. Needs the build dependencies of debian/control
# (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(dpkg-parsechangelog -S Version)
work=$(mktemp -d /tmp/mailprobe-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/mailprobe-$version
mkdir -p "$src"
# Tracked files and new ones not yet committed, never what .gitignore leaves out.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue # deleted in the working tree
  mkdir -p "$src/$(dirname "$f")"
  cp -a "$f" "$src/$f"
done

(cd "$src" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2
  echo "package.sh: dpkg-buildpackage failed (the lines above are the end of its log)" >&2
  exit 1
}
deb=$(ls "$work"/mailprobe_"$version"_*.deb)
cp "$deb" "$out/"
echo "$out/$(basename "$deb")"
