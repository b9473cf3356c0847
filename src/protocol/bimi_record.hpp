#pragma once
// BIMI assertion records (draft-brand-indicators-for-message-identification, section
// "Assertion Record Definition"), the TXT record at <selector>._bimi.<domain>: where the
// brand's logo (an SVG) and its evidence (a Verified Mark Certificate) are. Parsed without
// I/O; the logo and the certificate are not fetched.
//
// "Assertion Records are defined precisely. Mail receivers MUST NOT attempt to fix
// syntactical or capitalization errors. If a required tag is missing, or its value not
// well-formed, it is an error." So unlike DMARC, a flaw in a known tag is a failure.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/outcome.hpp"

namespace mailprobe::protocol {

struct BimiRecord {
  std::string location;               // l=: an https URI of the logo, or "" (declined)
  std::string authority;              // a=: an https URI of the evidence document (VMC), or ""
  bool local_part_selectors = false;  // lps=true
  // Tags receivers ignore, each a line: "avp 'logo' is not personal or brand: ...".
  std::vector<std::string> warnings;

  // "If both the l= and a= tags are empty, it is an explicit refusal to participate in
  // BIMI" (section "Declination to Publish").
  bool declined() const { return location.empty() && authority.empty(); }
};

// A TXT record that does not start with v=BIMI1: "the entire retrieved record MUST be
// ignored". `hint` is non-empty when it looks like a BIMI record gone wrong.
struct NotBimiRecord {
  std::string hint;
};

// `txt` is the record's character-strings joined without separator. Failures are phase
// "bimi", kind protocol: "l 'http://example.org/logo.svg' is not an https: URI".
using BimiTxt = std::variant<BimiRecord, NotBimiRecord, core::Failure>;
BimiTxt parse_bimi_record(std::string_view txt);

}  // namespace mailprobe::protocol
