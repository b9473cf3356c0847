#pragma once
// DNS blocklists (RFC 5782) without I/O: the names to ask for an address or a domain, what
// a list's answer means, and the lists file of check_dnsbl.
//
// A list answers A records whose values are codes, most lists in 127.0.0.0/8 (127.0.0.2
// "listed", other values for sub-lists or reasons), and a TXT record with the reason
// (RFC 5782 section 2.1). Some answers are not about the address at all: Spamhaus answers
// 127.255.255.0/24 when it refuses the query (a public resolver, over the free limit, a
// misspelt zone), a list that shut down may list everything, and a hijacking resolver
// answers with its own addresses. Those are errors about the list, never listings.
//
// The lists file (--lists-file), one list per line, '#' starts a comment:
//
//   ZONE [ip|domain] [no-test-entry] [CODE=MEANING ...] [error:CODE=MEANING ...]
//
//   ZONE           the list's DNS zone ("zen.spamhaus.org")
//   ip, domain     what the list holds: addresses (the default) or domain names (an RHSBL)
//   no-test-entry  the list has no RFC 5782 section 5 test entry (127.0.0.2, TEST): do not
//                  call it dead for that (the entry that must not be listed is still asked)
//   CODE=MEANING   an answer that means listed, and why; CODE is an address in 127.0.0.0/8
//                  or a range of them ("127.0.0.4-127.0.0.7" or "127.0.0.4-7"); MEANING a
//                  word or "a quoted text". Once a list names codes, only those are
//                  listings; other answers in 127.0.0.0/8 are shown and not counted.
//   error:CODE=MEANING  an answer that means the list refused the query ("over the limit")
//
// Example:
//
//   zen.spamhaus.org 127.0.0.2-3=SBL 127.0.0.4-7=XBL error:127.255.255.254="public resolver"
//   dbl.spamhaus.org domain 127.0.1.2-99="spam domain"
//   multi.uribl.com domain 127.0.0.2-14=listed error:127.0.0.1="query refused"
//
// The same line is what --list takes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"

namespace mailprobe::protocol {

enum class DnsblKind { ip, domain };

// An answer code or a range of them (IPv4 addresses in host byte order), and its meaning.
struct DnsblCode {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  std::string meaning;
  bool error = false;  // the code says the query was refused, nothing about the address
};

struct DnsblList {
  std::string zone;  // lower case, A-labels, without the trailing dot
  DnsblKind kind = DnsblKind::ip;
  bool test_entry = true;  // RFC 5782 section 5: 127.0.0.2 (TEST) must be listed
  std::vector<DnsblCode> codes;
};

// Bounded input: a lists file is a handful of lines.
inline constexpr std::size_t max_dnsbl_lists = 64;
inline constexpr std::size_t max_dnsbl_codes = 64;  // per list
inline constexpr std::size_t max_dnsbl_lists_file_bytes = std::size_t{256} * 1024;

// One line of a lists file (or --list), comments allowed. nullopt for a line without a list
// (blank, only a comment). Failures (kind config) say what is wrong with which word.
core::Outcome<std::optional<DnsblList>> parse_dnsbl_line(std::string_view line);

// A whole lists file. Failures name the line: "line 3: '127.0.0.2=' has no meaning".
// A zone listed twice, no list at all, or more than max_dnsbl_lists are errors too.
core::Outcome<std::vector<DnsblList>> parse_dnsbl_lists(std::string_view text);

// RFC 5782 section 2.1: the octets of an IPv4 address reversed, then the zone
// ("192.0.2.1", "bl.example" -> "1.2.0.192.bl.example"); section 2.4: an IPv6 address as 32
// nibbles, reversed. nullopt when `address` is no IP address or the name would be longer
// than a domain name can be (253 octets).
std::optional<std::string> dnsbl_address_query(std::string_view address, std::string_view zone);

// RFC 5782 section 3: the domain name, then the zone. nullopt when the name is too long.
std::optional<std::string> dnsbl_domain_query(std::string_view domain, std::string_view zone);

// RFC 5782 section 5: what a list must list ("127.0.0.2", "test") and must not list
// ("127.0.0.1", "invalid"), asked like any address or domain.
struct DnsblTestEntries {
  std::string listed;
  std::string unlisted;
};
DnsblTestEntries dnsbl_test_entries(DnsblKind kind);

// What a list's answer (the A records of a query, in wire format) says.
enum class DnsblVerdict {
  not_listed,  // no records (NXDOMAIN or NODATA)
  listed,      // a code that means listed
  other_code,  // only codes in 127.0.0.0/8 that this list's codes do not count as listings
  refused,     // an error code: 127.255.255.0/24 or one the lists file marks error:
  invalid,     // a value outside 127.0.0.0/8, or RDATA that is no A record
};

struct DnsblAnswer {
  DnsblVerdict verdict = DnsblVerdict::not_listed;
  // The codes answered as text ("127.0.0.4"), the first few of a long answer, and how many
  // there were in all.
  std::vector<std::string> codes;
  std::size_t code_count = 0;
  // What the codes mean, joined by ", ": the lists file's meanings, the known error codes'
  // ("query via a public or open resolver"), or "" when nothing is known.
  std::string meaning;
};

// Judges the A records `records` that `list` answered for one query.
DnsblAnswer classify_dnsbl_answer(const DnsblList& list, const std::vector<std::string>& records);

// The codes for messages: "127.0.0.4", "127.0.0.2, 127.0.0.4 and 3 more".
std::string dnsbl_codes_text(const DnsblAnswer& answer);

}  // namespace mailprobe::protocol
