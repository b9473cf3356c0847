#pragma once
// DMARC policy records (RFC 7489 sections 6.3 and 6.4), the TXT record at _dmarc.<domain>,
// parsed and checked without I/O. Where DMARCbis (RFC 9989, which obsoletes RFC 7489)
// reads a record differently, the warnings say so: receivers of both kinds are out there.
//
// Three outcomes, as receivers see a TXT record at _dmarc (RFC 7489 section 6.6.3):
//   - NotDmarcRecord: it does not start with v=DMARC1 and is discarded (steps 2 and 4);
//   - core::Failure: it is meant as DMARC (starts with v=DMARC1) but is invalid: a broken
//     tag list, no valid p= without a valid rua= (step 6): receivers apply no policy;
//   - DmarcRecord: a policy, with warnings for tags receivers ignore or read as their
//     defaults ("syntax errors in the remainder of the record SHOULD be discarded in favor
//     of default values", section 6.3).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/outcome.hpp"

namespace mailprobe::protocol {

// Section 6.3, p=: weakest to strongest, so policies compare with <.
enum class DmarcPolicy { none = 0, quarantine = 1, reject = 2 };
// "none", "quarantine", "reject".
std::string_view dmarc_policy_name(DmarcPolicy policy);
// The names above, in any case (ABNF literals are case-insensitive, RFC 5234 section 2.3).
std::optional<DmarcPolicy> parse_dmarc_policy(std::string_view name);

// A report URI of rua= or ruf= (section 6.2): URI [ "!" size ].
struct DmarcUri {
  std::string uri;     // as written, without the !size suffix
  std::string scheme;  // lower case: "mailto", "https"
  // The destination host of section 7.1 step 1: a mailto: address's domain, else the URI's
  // host; lower case, without a trailing dot.
  std::string host;
  std::optional<std::uint64_t> max_bytes;  // "!10m": 10485760
};

struct DmarcRecord {
  // p=; nullopt when it is missing or invalid and a valid rua= makes receivers act as if it
  // were p=none (section 6.6.3 step 6.1); DMARCbis reads a missing p= as none too.
  std::optional<DmarcPolicy> p;
  std::optional<DmarcPolicy> sp;  // for subdomains; p when absent
  std::optional<DmarcPolicy> np;  // RFC 9091 / DMARCbis: non-existent subdomains; sp when absent
  int pct = 100;                  // section 6.3; historic in DMARCbis (t= instead)
  bool adkim_strict = false;      // adkim=s
  bool aspf_strict = false;       // aspf=s
  std::vector<DmarcUri> rua;      // the valid ones, in order
  std::vector<DmarcUri> ruf;
  std::vector<std::string> fo = {"0"};
  bool testing = false;  // DMARCbis t=y: policy applied one step weaker
  bool psd = false;      // DMARCbis psd=y: published by a public suffix operator
  // Tags receivers ignore or read as their defaults, each a line: "pct '150' is not a whole
  // number from 0 to 100: receivers use 100".
  std::vector<std::string> warnings;
  // What needs no action but is worth a line: "tag 'foo' is not a DMARC tag: receivers
  // ignore it", where DMARCbis reads the record differently.
  std::vector<std::string> notes;

  // The policy for the domain itself, and for a subdomain that has no record of its own
  // (sp=, else p=). A missing or invalid p= counts as none.
  DmarcPolicy policy() const { return p.value_or(DmarcPolicy::none); }
  DmarcPolicy subdomain_policy() const { return sp.value_or(policy()); }
};

// A TXT record that does not start with v=DMARC1. `hint` is non-empty when it looks like a
// DMARC record gone wrong ("v=dmarc1; p=reject": the version must be DMARC1 exactly).
struct NotDmarcRecord {
  std::string hint;
};

// `txt` is the record's character-strings joined without separator. Failures are phase
// "dmarc", kind protocol: "tag 'p' appears twice, which makes the whole record invalid
// (RFC 6376 section 3.2)".
using DmarcTxt = std::variant<DmarcRecord, NotDmarcRecord, core::Failure>;
DmarcTxt parse_dmarc_record(std::string_view txt);

// Whether a TXT record found at <policy-domain>._report._dmarc.<host> authorizes reports to
// that host (section 7.1 steps 5 to 7): a tag list whose first tag is v=DMARC1.
bool is_report_authorization(std::string_view txt);

}  // namespace mailprobe::protocol
