#pragma once
// MTA-STS (RFC 8461) without I/O: the TXT record at _mta-sts.<domain> (section 3.1), the
// policy served at https://mta-sts.<domain>/.well-known/mta-sts.txt (section 3.2), and
// whether an MX host is one the policy names (section 4.1).
//
// Errors are what the RFC's grammar rejects: a sender that finds one treats the domain as
// having no policy (sections 3.1, 3.3), which for a domain in enforce mode silently turns
// the protection off. Warnings are what the grammar allows or lenient senders accept but is
// most likely a mistake; the policy still holds.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/outcome.hpp"

namespace mailprobe::protocol {

// --- TXT record (section 3.1) -------------------------------------------------------------

struct StsTxtRecord {
  std::string id;  // 1 to 32 letters and digits; a new id tells senders to fetch the policy
  std::vector<std::string> warnings;
};

// A TXT at _mta-sts.<domain> that does not start with "v=STSv1": section 3.1 says to
// discard it, so it is neither a record nor an error. Only when exactly one TXT there is an
// STS record does the domain have one.
struct NotStsRecord {};

// A DNS TXT of several character-strings is passed joined without separator.
// Failures are phase "mta-sts", kind protocol.
using StsTxt = std::variant<StsTxtRecord, NotStsRecord, core::Failure>;
StsTxt parse_sts_txt(std::string_view txt);

// --- Policy (section 3.2) -----------------------------------------------------------------

enum class StsMode { enforce, testing, none };
// "enforce", "testing", "none".
std::string_view sts_mode_name(StsMode mode);

struct StsPolicy {
  StsMode mode = StsMode::none;
  std::chrono::seconds max_age{0};
  // Patterns as written, in order: "mail.example.com", "*.example.net". Empty only when
  // mode is none.
  std::vector<std::string> mx;
  // "line 7: empty line ...", "line 5: second mode line ignored, the first counts".
  std::vector<std::string> warnings;
};

// Section 3.2: max_age is at most 31557600 seconds (about a year).
inline constexpr std::int64_t max_sts_max_age = 31557600;
// Bounded input: a policy is a handful of short lines, more than this is not one.
inline constexpr std::size_t max_sts_policy_bytes = std::size_t{64} * 1024;

// Parses the body of the policy file. Failures are phase "mta-sts", kind protocol, one line
// naming the line number where there is one: "line 2: mode 'Enforce' is not enforce,
// testing or none".
core::Outcome<StsPolicy> parse_sts_policy(std::string_view body);

// --- MX matching (section 4.1) ------------------------------------------------------------

// Whether `mx_host` (as the MX record names it) matches a policy's mx `pattern`: compared
// without regard to case or a trailing dot; "*.example.com" matches exactly one more label
// on the left ("a.example.com", not "a.b.example.com" nor "example.com").
bool mx_matches_pattern(std::string_view mx_host, std::string_view pattern);

// Whether any mx pattern of `policy` matches `mx_host`.
bool policy_allows_mx(const StsPolicy& policy, std::string_view mx_host);

}  // namespace mailprobe::protocol
