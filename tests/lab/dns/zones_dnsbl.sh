# shellcheck shell=bash
# Sourced by tests/lab/dns/zones.sh: the blocklists of check_dnsbl (RFC 5782), names in the
# parent zone. Each list is a name under the parent; a list that answers the same for every
# name is a wildcard below it.

# shellcheck disable=SC2034 # used by the lab (dnslab.env) and by dnsbl_names
{
  DOM_DNSBL_GOOD=bl-good.$PARENT       # test entry; lists 127.0.0.20 (127.0.0.4) and ::1 (.3)
  DOM_DNSBL_SECOND=bl-second.$PARENT   # test entry; lists 127.0.0.20 (127.0.0.2), odd TXT
  DOM_DNSBL_REFUSED=bl-refused.$PARENT # 127.255.255.254 for every name (Spamhaus: public resolver)
  DOM_DNSBL_ALL=bl-all.$PARENT         # 127.0.0.2 for every name, 127.0.0.1 too (lists all)
  DOM_DNSBL_RANDOM=bl-random.$PARENT   # 40 addresses outside 127.0.0.0/8 for every name
  DOM_DNSBL_DEAD=bl-dead.$PARENT       # nothing at all: not even its test entry
  DOM_DNSBL_RHSBL=rhsbl.$PARENT        # a domain list: TEST, and the nomx domain listed
  DOM_DNSBL_SPF=dnsbl-spf.$PARENT      # MX at 127.0.0.11; SPF: ip4:127.0.0.20, a range, a:, include
  ADDR_DNSBL_LISTED=127.0.0.20         # on bl-good and bl-second (the lab's PKIX MX address)
  ADDR_DNSBL_CLEAN=127.0.0.11          # on no list (the DANE-EE MX address)
  ADDR_DNSBL_SPF_OUT=127.0.0.21        # the SPF a: host of dnsbl-spf, on no list
}

dnsbl_names() {
  local z i
  # RFC 5782 section 5: an IPv4 list lists 127.0.0.2 and not 127.0.0.1; section 2.1: an A
  # record with the code, a TXT record with the reason, at the reversed address.
  for z in "$DOM_DNSBL_GOOD" "$DOM_DNSBL_SECOND"; do
    printf '2.0.0.127.%s. A 127.0.0.2\n2.0.0.127.%s. TXT "RFC 5782 test entry"\n' "$z" "$z"
  done
  z=$DOM_DNSBL_GOOD
  printf '20.0.0.127.%s. A 127.0.0.4\n' "$z"
  printf '20.0.0.127.%s. TXT "Listed for spam, see https://%s/127.0.0.20"\n' "$z" "$z"
  # Section 2.4: ::1 as 32 nibbles, reversed.
  printf '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.%s. A 127.0.0.3\n' "$z"
  printf '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.%s. TXT "IPv6 listing"\n' "$z"
  # A reason in two strings with a tab and a bell in it: shown escaped, on one line.
  z=$DOM_DNSBL_SECOND
  printf '20.0.0.127.%s. A 127.0.0.2\n' "$z"
  printf '20.0.0.127.%s. TXT "Listed\\009with a tab\\007" " and a second string"\n' "$z"
  # Spamhaus answers 127.255.255.254 to every query that comes through a public resolver.
  printf '*.%s. A 127.255.255.254\n' "$DOM_DNSBL_REFUSED"
  # A list that shut down by listing the world.
  printf '*.%s. A 127.0.0.2\n' "$DOM_DNSBL_ALL"
  # A "list" that answers with real addresses (a resolver that rewrites NXDOMAIN).
  for ((i = 1; i <= 40; i++)); do
    printf '*.%s. A %s\n' "$DOM_DNSBL_RANDOM" "$((i % 2 ? 192 : 10)).$((i * 7 % 256)).$i.$((i * 13 % 250 + 1))"
  done
  # RFC 5782 section 3 and 5: a domain list lists TEST (and never INVALID).
  z=$DOM_DNSBL_RHSBL
  printf 'test.%s. A 127.0.0.2\n%s.%s. A 127.0.0.2\n' "$z" "$DOM_NOMX" "$z"
  printf '%s.%s. TXT "domain seen in spam"\n' "$DOM_NOMX" "$z"
  # A domain whose MX and SPF senders are checked.
  z=$DOM_DNSBL_SPF
  printf '%s. MX 10 mx.%s.\nmx.%s. A %s\nout.%s. A %s\n' "$z" "$z" "$z" "$ADDR_DNSBL_CLEAN" \
    "$z" "$ADDR_DNSBL_SPF_OUT"
  printf '%s. TXT "v=spf1 ip4:%s ip4:192.0.2.0/24 a:out.%s include:_spf.%s -all"\n' "$z" \
    "$ADDR_DNSBL_LISTED" "$z" "$z"
  printf '_spf.%s. TXT "v=spf1 ip6:::1 -all"\n' "$z"
}
