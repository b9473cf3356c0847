#!/usr/bin/env bash
# Installs everything mailprobe needs from Debian's archive: build dependencies, the lab's
# mail servers, and (with --reference) the tools mailprobe is compared against.
# Idempotent: packages already present are skipped by apt. Must run as root.
set -euo pipefail

want_reference=0
for arg in "$@"; do
  case "$arg" in
    --reference) want_reference=1 ;;
    *) echo "setup.sh: unknown option '$arg' (known: --reference)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: must run as root (it installs Debian packages)" >&2
  exit 2
fi

build_packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libboost-system1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libcli11-dev libyaml-cpp-dev libfmt-dev
  libhowardhinnant-date-dev libgtest-dev libgmock-dev libbenchmark-dev
  libunbound-dev libidn2-dev dns-root-data publicsuffix
  clang-format clang-tidy
  debhelper dpkg-dev lintian systemd man-db
)
# The DNS lab (tests/lab/dnslab): NSD, a validating Unbound, dnssec-keygen/-signzone (bind9-utils),
# dig (bind9-dnsutils) and nginx for MTA-STS policies; all run from the lab's own configs.
lab_packages=(
  postfix dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-sieve openssl iproute2 curl jq
  nsd unbound bind9-utils bind9-dnsutils nginx python3
)
reference_packages=(
  monitoring-plugins-basic monitoring-plugins-standard nagios-plugins-contrib
  libmail-imapclient-perl libnet-smtp-tls-perl libnet-smtp-ssl-perl libio-socket-ssl-perl
  libnet-ssleay-perl libnet-smtpauth-perl libauthen-sasl-perl libemail-simple-perl
  libtext-template-perl libdate-manip-perl swaks hyperfine time sqlite3 faketime
  prometheus prometheus-blackbox-exporter
  nagios4-core icinga2-bin icinga2-common
  spf-tools-perl opendkim-tools libnet-ip-perl libreadonly-perl libmonitoring-plugin-perl
)

packages=("${build_packages[@]}" "${lab_packages[@]}")
[ "$want_reference" = 1 ] && packages+=("${reference_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

# "No configuration": Postfix installs without a system main.cf and without prompting;
# the lab runs Postfix from its own config directory only.
debconf-set-selections <<'DEB'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string localhost
DEB

# Never start the system's own Dovecot/Postfix/NSD/Unbound/nginx when packages are installed
# (they would take ports 25, 53, 80, 143, ...); the labs run their own instances.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup.sh: installed ${#missing[@]} packages"
