#!/usr/bin/env bash
# The installed package under the real schedulers: Debian's Nagios 4 and Icinga 2, each
# started as a daemon with a configuration directory of this test's own (never the
# system's), with services defined from the shipped definitions
# (/etc/nagios-plugins/config/mailprobe.cfg, /usr/share/mailprobe/icinga2/), against a lab
# of this test's own: one OK, one WARNING from a threshold, a round trip, a login whose
# password is in an --extra-opts file, and one CRITICAL with Dovecot stopped. Each check is
# forced (Nagios's external command file, Icinga's REST API) and what the scheduler
# recorded (state, output, long output, performance data) is compared with what the
# plugin prints when run by hand with the same arguments.
#
#   tests/packaging/schedulers_test.sh LAB_SCRIPT LAB_DIR LAB_PORT_BASE
#
# Run as root, after the package is installed (tests/packaging/package_test.sh does both).
set -uo pipefail

lab_script=${1:?usage: schedulers_test.sh LAB_SCRIPT LAB_DIR LAB_PORT_BASE}
lab_dir=${2:?usage}
lab_port_base=${3:?usage}
plugins=/usr/lib/mailprobe/plugins
for tool in nagios4 icinga2 curl jq; do
  command -v $tool >/dev/null || { echo "schedulers_test: $tool missing (scripts/setup.sh --reference)" >&2; exit 2; }
done
[ -x $plugins/check_smtp ] || { echo "schedulers_test: the package is not installed ($plugins)" >&2; exit 2; }

# shellcheck source=tests/daemon/expect.sh
. "$(dirname "${BASH_SOURCE[0]}")/../daemon/expect.sh"

lab() { MAILPROBE_LAB_DIR=$lab_dir MAILPROBE_LAB_PORT_BASE=$lab_port_base MAILPROBE_BIN=/usr/bin/mailprobe "$lab_script" "$@"; }
work=$(mktemp -d /tmp/mailprobe-schedulers-test.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  [ -f "$work/nagios/nagios.lock" ] && kill "$(cat "$work/nagios/nagios.lock")" 2>/dev/null
  sleep 0.5
  lab down >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

lab up >/dev/null || { echo "schedulers_test: lab up failed" >&2; exit 1; }
# shellcheck disable=SC1090,SC1091
source "$lab_dir/lab.env"

# The plugins run as the schedulers' user (nagios): their files are in the work directory.
mkdir -p "$work/files"
cp "$LAB_CA_FILE" "$work/files/ca.pem"
cp "$LAB_SENDER_PASSWORD_FILE" "$work/files/sender.password"
cp "$LAB_RECEIVER_PASSWORD_FILE" "$work/files/receiver.password"
password=$(head -n1 "$LAB_SENDER_PASSWORD_FILE")
cat >"$work/files/plugins.ini" <<INI
# The password of the login check lives here, never in a command line.
[smtp_ok]
p=$LAB_SMTP_PORT
[smtp_warn]
p=$LAB_SMTP_PORT
w=0.000001
[login]
p=$LAB_SUBMISSION_PORT
S=
ca-file=$work/files/ca.pem
U=$LAB_SENDER
P=$password
[roundtrip]
smtp-port=$LAB_SUBMISSION_PORT
smtp-user=$LAB_SENDER
smtp-password-file=$work/files/sender.password
from=$LAB_SENDER
to=$LAB_RECEIVER
receive-port=$LAB_IMAPS_PORT
receive-user=$LAB_RECEIVER
receive-password-file=$work/files/receiver.password
ca-file=$work/files/ca.pem
state-file=$work/files/roundtrip.sqlite
secret-file=$work/files/roundtrip.secret
wait=20
[imap_down]
p=$LAB_IMAP_PORT
INI
# The round trip's secret (signs its test messages), as an operator would make it.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/files/roundtrip.secret"
chown -R nagios:nagios "$work/files"
chmod 0600 "$work/files/plugins.ini" "$work/files/"*.password "$work/files/roundtrip.secret"

# name plugin section: the services, in the order they are forced.
services=(
  "smtp_ok smtp smtp_ok"
  "smtp_warn smtp smtp_warn"
  "login smtp login"
  "roundtrip mail_roundtrip roundtrip"
  "imap_down imap imap_down"
)
declare -A expected_state=([smtp_ok]=0 [smtp_warn]=1 [login]=0 [roundtrip]=0 [imap_down]=2)

# What the plugin says when run by hand as the schedulers' user, with the same arguments.
by_hand() { # name plugin section
  runuser -u nagios -- "$plugins/check_$2" -H 127.0.0.1 "--extra-opts=$3@$work/files/plugins.ini" \
    >"$work/hand.out"
  echo $? >"$work/hand.code"
}

# same A B: true when equal; otherwise shows both (a test's failure says what differed).
same() {
  [ "$1" = "$2" ] && return 0
  printf '    scheduler: %s\n    by hand:   %s\n' "${1//$'\n'/ / }" "${2//$'\n'/ / }"
  return 1
}

# Output with the numbers that change from run to run (times, days) made equal.
# Trailing blanks go too: Icinga keeps the one before a perfdata '|'.
shape() { sed -E 's/[0-9]+(\.[0-9]+)?/N/g; s/[[:space:]]+$//'; }
perf_labels() { tr ' ' '\n' | sed -nE "s/^'?([^=]+)'?=N([a-zA-Z%]*).*/\1 \2/p"; }

# --- Nagios 4 ----------------------------------------------------------------------------
n=$work/nagios
mkdir -p "$n/checkresults"
cat >"$n/nagios.cfg" <<CFG
log_file=$n/nagios.log
cfg_file=/etc/nagios-plugins/config/mailprobe.cfg
cfg_file=$n/objects.cfg
object_cache_file=$n/objects.cache
precached_object_file=$n/objects.precache
status_file=$n/status.dat
status_update_interval=1
nagios_user=nagios
nagios_group=nagios
check_external_commands=1
command_file=$n/nagios.cmd
lock_file=$n/nagios.lock
temp_file=$n/nagios.tmp
temp_path=$n
check_result_path=$n/checkresults
check_result_reaper_frequency=1
retain_state_information=0
enable_notifications=0
use_syslog=0
interval_length=60
execute_host_checks=0
query_socket=$n/nagios.qh
CFG
{
  cat <<CFG
define timeperiod {
  timeperiod_name always
  alias always
  sunday 00:00-24:00
  monday 00:00-24:00
  tuesday 00:00-24:00
  wednesday 00:00-24:00
  thursday 00:00-24:00
  friday 00:00-24:00
  saturday 00:00-24:00
}
define contact {
  contact_name nobody
  host_notifications_enabled 0
  service_notifications_enabled 0
  host_notification_period always
  service_notification_period always
  host_notification_options n
  service_notification_options n
  host_notification_commands mailprobe_tcp
  service_notification_commands mailprobe_tcp
}
define host {
  host_name lab
  address 127.0.0.1
  max_check_attempts 1
  check_period always
  contacts nobody
  notification_period always
}
CFG
  for s in "${services[@]}"; do
    read -r name plugin section <<<"$s"
    cat <<CFG
define service {
  host_name lab
  service_description $name
  check_command mailprobe_extra_opts!$plugin!$section@$work/files/plugins.ini
  max_check_attempts 1
  check_interval 1440
  retry_interval 1440
  check_period always
  active_checks_enabled 1
  contacts nobody
  notification_period always
}
CFG
  done
} >"$n/objects.cfg"
chown -R nagios:nagios "$n"
expect "Nagios accepts the shipped command definitions" \
  sh -c "nagios4 -v '$n/nagios.cfg' >'$n/verify.log' 2>&1"
nagios4 -d "$n/nagios.cfg" >/dev/null 2>&1
wait_for 20 test -p "$n/nagios.cmd" || { echo "schedulers_test: Nagios did not start"; tail "$n/nagios.log"; exit 1; }

# One servicestatus block of status.dat as KEY=VALUE lines.
nagios_status() { # service
  awk -v svc="$1" '/^servicestatus \{/{b=1; s=""; next} b&&/^\t}/{if (s ~ "service_description=" svc "\n") print s; b=0; next} b{sub(/^\t/,""); s=s $0 "\n"}' "$n/status.dat"
}
nagios_field() { nagios_status "$1" | sed -n "s/^$2=//p"; }
checked_after() { [ "$(nagios_field "$1" last_check)" -ge "$2" ] 2>/dev/null; }

for s in "${services[@]}"; do
  read -r name plugin section <<<"$s"
  [ "$name" = imap_down ] && lab stop-dovecot >/dev/null
  now=$(date +%s)
  printf '[%s] SCHEDULE_FORCED_SVC_CHECK;lab;%s;%s\n' "$now" "$name" "$now" >"$n/nagios.cmd"
  if ! wait_for 60 checked_after "$name" "$now"; then
    fail "Nagios ran $name"
    continue
  fi
  state=$(nagios_field "$name" current_state)
  output=$(nagios_field "$name" plugin_output)
  long=$(nagios_field "$name" long_plugin_output)
  perf=$(nagios_field "$name" performance_data)
  expect "Nagios: $name is state ${expected_state[$name]} (got $state: $output)" \
    test "$state" = "${expected_state[$name]}"
  by_hand "$name" "$plugin" "$section"
  hand_first=$(head -n1 "$work/hand.out")
  expect "Nagios: $name's exit code is the plugin's" test "$state" = "$(cat "$work/hand.code")"
  expect "Nagios: $name's output is the plugin's first line, before its perfdata" \
    same "$(printf '%s' "$output" | shape)" "$(printf '%s' "${hand_first%% | *}" | shape)"
  hand_perf=$( (printf '%s' "${hand_first#* | }"; tail -n +2 "$work/hand.out" | sed -n 's/.* | //p') | tr '\n' ' ')
  expect "Nagios: $name's perfdata has the plugin's labels and units" \
    same "$(printf '%s' "$perf" | shape | perf_labels | sort)" "$(printf '%s' "$hand_perf" | shape | perf_labels | sort)"
  hand_long=$(tail -n +2 "$work/hand.out" | sed 's/ | .*//' | shape)
  if [ "$name" = roundtrip ]; then
    # A second round trip on the same state reports the first one's message: the lines
    # differ by design; both have the same shape of lines.
    hand_long=$(printf '%s\n' "$hand_long" | cut -c1-6 | sort -u)
    long=$(printf '%b' "${long//\\n/\\n}" | cut -c1-6 | sort -u)
  fi
  expect "Nagios: $name's long output is the plugin's (newlines as \\n)" \
    same "$(printf '%b' "${long//\\n/\\n}" | shape)" "$hand_long"
done
lab up >/dev/null
kill "$(cat "$n/nagios.lock")" 2>/dev/null

# --- Icinga 2 ----------------------------------------------------------------------------
i=$work/icinga
api_port=$((lab_port_base + 665))
mkdir -p "$i"/{lib,log,cache,spool,run,certs}
chown -R nagios:nagios "$i"  # icinga2 drops to its user, also to write the certificate
icinga2 pki new-cert --cn localhost --key "$i/certs/localhost.key" --cert "$i/certs/localhost.crt" >/dev/null 2>&1
cp "$i/certs/localhost.crt" "$i/certs/ca.crt"
api_password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
{
  cat <<CONF
const PluginDir = "/usr/lib/nagios/plugins"
const PluginContribDir = "/usr/lib/nagios/plugins"
const ManubulonPluginDir = "/usr/lib/nagios/plugins"
include <itl>
include <plugins>
include "/usr/share/mailprobe/icinga2/mailprobe-commands.conf"
object Endpoint "localhost" { }
object Zone "localhost" { endpoints = [ "localhost" ] }
object ApiListener "api" {
  bind_host = "127.0.0.1"
  bind_port = $api_port
  accept_commands = true
  cert_path = "$i/certs/localhost.crt"
  key_path = "$i/certs/localhost.key"
  ca_path = "$i/certs/ca.crt"
}
object ApiUser "test" { password = "$api_password"; permissions = [ "*" ] }
object CheckerComponent "checker" { }
object Host "lab" { address = "127.0.0.1"; check_command = "dummy"; enable_active_checks = false }
template Service "forced" { check_interval = 1d; retry_interval = 1d; max_check_attempts = 1; enable_notifications = false }
object Service "smtp_ok" { import "forced"; host_name = "lab"; check_command = "mailprobe-smtp"
  vars.smtp_port = $LAB_SMTP_PORT }
object Service "smtp_warn" { import "forced"; host_name = "lab"; check_command = "mailprobe-smtp"
  vars.smtp_port = $LAB_SMTP_PORT; vars.smtp_warning = 0.000001 }
object Service "login" { import "forced"; host_name = "lab"; check_command = "mailprobe-smtp"
  vars.mailprobe_extra_opts = "login@$work/files/plugins.ini" }
object Service "roundtrip" { import "forced"; host_name = "lab"; check_command = "mailprobe-mail-roundtrip"
  vars.mailprobe_roundtrip_from = "$LAB_SENDER"; vars.mailprobe_roundtrip_to = "$LAB_RECEIVER"
  vars.mailprobe_extra_opts = "roundtrip@$work/files/plugins.ini" }
object Service "imap_down" { import "forced"; host_name = "lab"; check_command = "mailprobe-imap"
  vars.imap_port = $LAB_IMAP_PORT }
CONF
} >"$i/icinga2.conf"
chown -R nagios:nagios "$i"
# Icinga 2.13's paths and user are Configuration.* constants, set before the config loads.
defines=(-DConfiguration.ConfigDir="$i" -DConfiguration.DataDir="$i/lib"
  -DConfiguration.LogDir="$i/log" -DConfiguration.CacheDir="$i/cache"
  -DConfiguration.SpoolDir="$i/spool" -DConfiguration.InitRunDir="$i/run"
  -DConfiguration.RunAsUser=nagios -DConfiguration.RunAsGroup=nagios
  -DNodeName=localhost -DZoneName=localhost)
expect "Icinga 2 accepts the shipped CheckCommands" \
  sh -c "icinga2 daemon -C -c '$i/icinga2.conf' ${defines[*]} >'$i/validate.log' 2>&1"
icinga2 daemon -c "$i/icinga2.conf" "${defines[@]}" >"$i/daemon.log" 2>&1 &
pids+=($!)
api() { curl -sk --max-time 10 -u "test:$api_password" -H 'Accept: application/json' "$@"; }
wait_for 60 sh -c "curl -sk --max-time 2 -u 'test:$api_password' 'https://127.0.0.1:$api_port/v1/status' | grep -q IcingaApplication" ||
  { echo "schedulers_test: Icinga 2 did not start"; tail -20 "$i/daemon.log"; exit 1; }

icinga_result() { # service: last_check_result as JSON
  api "https://127.0.0.1:$api_port/v1/objects/services/lab!$1?attrs=last_check_result" |
    jq -c '.results[0].attrs.last_check_result'
}
icinga_checked_after() { [ "$(icinga_result "$1" | jq -r '.execution_end // 0 | floor')" -ge "$2" ] 2>/dev/null; }
for s in "${services[@]}"; do
  read -r name plugin section <<<"$s"
  [ "$name" = imap_down ] && lab stop-dovecot >/dev/null
  now=$(date +%s)
  api -X POST "https://127.0.0.1:$api_port/v1/actions/reschedule-check" \
    -d "{\"type\":\"Service\",\"filter\":\"service.name==\\\"$name\\\"\",\"force\":true}" >/dev/null
  if ! wait_for 60 icinga_checked_after "$name" "$now"; then
    fail "Icinga 2 ran $name"
    continue
  fi
  result=$(icinga_result "$name")
  state=$(jq -r '.state | floor' <<<"$result")
  output=$(jq -r '.output' <<<"$result")
  expect "Icinga 2: $name is state ${expected_state[$name]} (got $state: ${output%%$'\n'*})" \
    test "$state" = "${expected_state[$name]}"
  units=$(jq -r '.performance_data[]' <<<"$result" | shape | perf_labels | sort)
  command_line=$(jq -r '.command | join(" ")' <<<"$result")
  # The very arguments Icinga passed (one per line: none holds a newline).
  mapfile -t argv < <(jq -r '.command[]' <<<"$result")
  runuser -u nagios -- "${argv[@]}" >"$work/hand.out"
  hand_output=$(sed 's/ | .*//' "$work/hand.out" | shape)
  if [ "$name" = roundtrip ]; then hand_output=$(head -n1 <<<"$hand_output"); output=${output%%$'\n'*}; fi
  expect "Icinga 2: $name's output is what the plugin prints ($command_line)" \
    same "$(printf '%s' "$output" | shape)" "$hand_output"
  hand_perf=$( (sed -n '1s/.* | //p' "$work/hand.out"; tail -n +2 "$work/hand.out" | sed -n 's/.* | //p') | tr '\n' ' ')
  expect "Icinga 2: $name's perfdata, parsed by Icinga, has the plugin's labels and units" \
    same "$units" "$(printf '%s' "$hand_perf" | shape | perf_labels | sort)"
done

if [ "$failures" -gt 0 ]; then
  echo "--- nagios.log"; tail -n 20 "$n/nagios.log" 2>/dev/null
  echo "--- icinga daemon.log"; tail -n 20 "$i/daemon.log" 2>/dev/null
  echo "schedulers_test: $failures failed"; exit 1
fi
echo "schedulers_test: all passed"
