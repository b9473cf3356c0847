#!/usr/bin/env bash
# The Debian package from the source tree to a purge: scripts/package.sh builds it, lintian
# finds no errors, systemd-analyze verifies the unit and rates its exposure at most 2.0,
# dpkg -i installs it beside monitoring-plugins, the shipped configuration validates and
# runs as the mailprobe user, man pages render without warnings, the schedulers' test
# (Nagios 4 and Icinga 2) runs against the installed files, and dpkg --purge leaves nothing
# behind. Nothing of the system's own Nagios, Icinga, Postfix or Dovecot is used; the unit
# is never started (the test does not need systemd to run).
#
#   tests/packaging/package_test.sh LAB_SCRIPT LAB_DIR LAB_PORT_BASE
#
# Run as root on Debian 12 with scripts/setup.sh --reference done.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/daemon/expect.sh
. "$root/tests/daemon/expect.sh"
for tool in dpkg-buildpackage lintian systemd-analyze man curl; do
  command -v $tool >/dev/null || { echo "package_test: $tool missing (scripts/setup.sh --reference)" >&2; exit 2; }
done
if dpkg -s mailprobe >/dev/null 2>&1; then
  echo "package_test: mailprobe is installed on this machine already; not touching it" >&2
  exit 2
fi

work=$(mktemp -d /tmp/mailprobe-package-test.XXXXXX)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
  dpkg -s mailprobe >/dev/null 2>&1 && dpkg --purge mailprobe >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# The package's files, scripts and unit are what is tested here, not the compiler's
# optimizer: the test's build skips it (DEB_BUILD_OPTIONS=noopt, a third of the build time)
# and keeps line tables only as debug information (-g1: full -g doubles the time of the
# Beast-heavy files); scripts/package.sh alone makes the optimized package.
deb=$(DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-noopt} DEB_CXXFLAGS_APPEND=${DEB_CXXFLAGS_APPEND:--g1} \
  "$root/scripts/package.sh" "$work/dist" | tail -n1)
expect "scripts/package.sh leaves the .deb and prints its path last" test -f "$deb"
lintian --fail-on error --no-tag-display-limit "$deb" >"$work/lintian.log" 2>&1
lintian_status=$?
expect "lintian finds no errors" test "$lintian_status" = 0
grep -E '^[EW]:' "$work/lintian.log" | sed 's/^/    /'

expect "dpkg -i installs it" sh -c "dpkg -i '$deb' >'$work/dpkg.log' 2>&1"
expect "beside monitoring-plugins: its plugins are in /usr/lib/mailprobe/plugins" \
  test -L /usr/lib/mailprobe/plugins/check_smtp -a -x /usr/lib/mailprobe/plugins/check_smtp
expect "no file of monitoring-plugins is replaced" \
  sh -c "! dpkg -L mailprobe | grep -q '^/usr/lib/nagios/plugins/'"
expect "the system user mailprobe exists" id mailprobe
expect "/var/lib/mailprobe belongs to it" \
  test "$(stat -c %U:%a /var/lib/mailprobe)" = "mailprobe:750"
unit=/lib/systemd/system/mailprobe.service
expect "systemd-analyze verify: the unit is clean" \
  sh -c "systemd-analyze verify '$unit' >'$work/verify.log' 2>&1 && ! grep -q . '$work/verify.log'"
sed 's/^/    /' "$work/verify.log" 2>/dev/null
exposure=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
  sed -nE 's/.*Overall exposure level for mailprobe.service: ([0-9.]+).*/\1/p')
expect "systemd-analyze security: exposure $exposure, at most 2.0" \
  awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }'
expect "the shipped configuration validates" \
  runuser -u mailprobe -- mailprobe serve -c /etc/mailprobe/mailprobe.yaml --check-config
expect "it is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' mailprobe | grep -q /etc/mailprobe/mailprobe.yaml"

# The shipped configuration, run as the service runs it (without systemd): its one check
# of the daemon's own port is OK on /metrics.
runuser -u mailprobe -- mailprobe serve -c /etc/mailprobe/mailprobe.yaml 2>"$work/daemon.log" &
daemon_pid=$!
ok_metric() { curl -sf --max-time 5 http://127.0.0.1:9797/metrics | grep -q 'mailprobe_check_state{check="mailprobe-http".*} 0'; }
expect "as shipped, the daemon runs and its one check is OK" wait_for 30 ok_metric
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; daemon_pid=
expect "its history is in /var/lib/mailprobe" test -s /var/lib/mailprobe/history.sqlite

for page in mailprobe mailprobe-plugins check_smtp check_mx check_mail_domain check_dnsbl mailprobe.yaml; do
  expect "man $page renders without warnings" \
    sh -c "MANWIDTH=80 man --warnings $page 2>&1 >/dev/null | { ! grep -q .; } && man -w $page >/dev/null"
done
expect "bash completion for mailprobe and the plugin names" \
  test -f /usr/share/bash-completion/completions/mailprobe -a -L /usr/share/bash-completion/completions/check_smtp
for f in grafana/mailprobe.json prometheus/mailprobe-rules.yml icinga2/mailprobe-commands.conf; do
  expect "/usr/share/mailprobe/$f is shipped" test -s "/usr/share/mailprobe/$f"
done

"$here/schedulers_test.sh" "$@"
expect "Nagios 4 and Icinga 2 run the installed plugins as the tests expect" test $? = 0

expect "dpkg --purge removes it" sh -c "dpkg --purge mailprobe >'$work/purge.log' 2>&1"
expect "purge leaves no /var/lib/mailprobe, /etc/mailprobe or plugin directory" \
  test ! -e /var/lib/mailprobe -a ! -e /etc/mailprobe -a ! -e /usr/lib/mailprobe

if [ "$failures" -gt 0 ]; then
  echo "--- lintian"; cat "$work/lintian.log"
  echo "package_test: $failures failed"; exit 1
fi
echo "package_test: all passed"
