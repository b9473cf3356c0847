#pragma once
// SPF (RFC 7208) without I/O: a record's terms (section 12's grammar, section 6's rules on
// modifiers), the macro language (section 7) and the address matching of ip4, ip6, a and mx
// (section 5). Which TXT records are SPF records (section 4.5) is decided here too; looking
// them up and evaluating them is probes/spf.hpp.
//
// Every function takes untrusted text (a TXT record, an expanded macro) and bounds what it
// builds: a record of garbage is a one-line syntax error, a macro that expands to thousands
// of labels yields at most a domain name's 253 octets.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"

namespace mailprobe::protocol {

// --- Addresses (section 5.6) ---------------------------------------------------------------

struct SpfAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // an IPv4 address in the first 4

  friend bool operator==(const SpfAddress&, const SpfAddress&) = default;
};

// "192.0.2.1", "2001:db8::1". An IPv4-mapped IPv6 address ("::ffff:192.0.2.1") is the IPv4
// address: section 5 says it is evaluated with the IPv4 mechanisms. nullopt for anything
// else (no zone index, no leading zeros in IPv4, nothing around the address).
std::optional<SpfAddress> parse_spf_address(std::string_view text);
// An ip4-network or ip6-network of a record as written (section 12): strict dotted quads,
// and an IPv4-mapped ip6 network stays IPv6.
std::optional<SpfAddress> parse_spf_network(std::string_view text, bool v6);
// The conventional text: "192.0.2.1", "2001:db8::1".
std::string spf_address_text(const SpfAddress& address);
// Whether `address` is in `network`/`prefix` (ip4-cidr-length or ip6-cidr-length); an address
// never matches a network of the other family.
bool spf_address_in(const SpfAddress& address, const SpfAddress& network, int prefix);
// The name its PTR records live at: "1.2.0.192.in-addr.arpa", "...8.b.d.0.1.0.0.2.ip6.arpa".
std::string spf_reverse_name(const SpfAddress& address);

// --- Records (sections 4.5, 4.6, 5, 6, 12) ---------------------------------------------------

enum class SpfQualifier { pass, fail, softfail, neutral };
// '+', '-', '~', '?'.
char spf_qualifier_char(SpfQualifier qualifier);

enum class SpfTermKind {
  all,
  include,
  a,
  mx,
  ptr,
  ip4,
  ip6,
  exists,
  redirect,
  exp,
  unknown_modifier,
};

struct SpfTerm {
  SpfTermKind kind = SpfTermKind::all;
  SpfQualifier qualifier = SpfQualifier::pass;  // mechanisms only; "+" when not written
  std::string text;                             // as written, qualifier included
  // The macro-string of include, a, mx, ptr, exists, redirect and exp; empty when a, mx or
  // ptr have none and so mean the <domain> being evaluated.
  std::string domain_spec;
  SpfAddress network;  // ip4, ip6
  int cidr4 = 32;      // ip4, a, mx (section 5.6: omitted means the whole address)
  int cidr6 = 128;     // ip6, a, mx

  bool is_mechanism() const { return kind <= SpfTermKind::exists; }
  // Section 4.6.4: the terms that cost a DNS query and count against the limit of 10.
  bool counts_lookup() const;
};

struct SpfRecord {
  std::vector<SpfTerm> terms;  // mechanisms and modifiers in the order written

  const SpfTerm* redirect() const;
  bool has_all() const;
};

// Section 4.5: a TXT record is an SPF record when it starts with "v=spf1" (in any case,
// as ABNF strings are) followed by a space or nothing: "v=spf10" and "v=spf1\t..." are not.
bool is_spf_record(std::string_view txt);

// Parses a record is_spf_record() accepted (the TXT's strings already joined without
// separator, section 3.3). Failures (phase "spf", kind protocol) name the term and the rule:
// "term 'ip4:192.0.2.0/33': prefix length 33 is over 32". Section 4.6: a record with a
// syntax error anywhere is a permerror as a whole.
core::Outcome<SpfRecord> parse_spf_record(std::string_view txt);

// --- Macros (section 7) ---------------------------------------------------------------------

// What the macro letters expand to (section 7.3). sender is "local-part@domain".
struct SpfMacroValues {
  std::string sender;                 // s; l and o are its parts
  std::string domain;                 // d: the <domain> being evaluated
  std::optional<SpfAddress> ip;       // i, v, c; nullopt: no address (expands to "")
  std::string helo;                   // h
  std::string validated = "unknown";  // p (section 7.3: "unknown" when there is none)
  std::string receiver = "unknown";   // r (explanations only)
  std::int64_t timestamp = 0;         // t (explanations only)
};

// The lower-case macro letters a macro-string uses, each once, in order: "%{ir}.%{d}" ->
// "id". Lets a walk without an address tell a domain-spec it cannot expand.
std::string spf_macro_letters(std::string_view macro_string);

// Expands a macro-string that parse_spf_record() accepted (section 7: transformers, delimiters,
// upper-case letters URL-escaped, %% %_ %-). The text can only grow to a bounded size: past
// a few KiB only the right end is kept, which is all a domain name keeps (section 7.3).
std::string expand_spf_macros(std::string_view macro_string, const SpfMacroValues& values);

// An expanded domain-spec as a name to look up: the trailing dot removed, labels dropped from
// the left until it is at most 253 octets (section 7.3), lower case. nullopt when it is no
// domain name a resolver would ask for: an empty label, a label over 63 octets, a character
// other than a letter, digit, '-' or '_'. RFC 7208 leaves the result undefined then.
std::optional<std::string> spf_target_name(std::string_view expanded);

// Section 4.3: a <domain> check_host() can evaluate: a valid name of at least two labels.
bool is_spf_domain(std::string_view domain);

}  // namespace mailprobe::protocol
