#pragma once
// One part of check_mail_domain (SPF, DMARC, a DKIM selector, BIMI, null MX): what it
// found, as the check shows it and as the change detection and the daemon keep it.

#include <algorithm>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mailprobe::probes {

// A DNS record set the check watches for change: "TXT _dmarc.example.org" and its value as
// read (several records joined by " | " in the order served, sorted; "" when absent).
struct WatchedRecord {
  std::string key;
  std::string value;
};

// The watched value of a record set: sorted (the order a server serves them in is no
// change), joined by " | ".
inline std::string joined_records(std::vector<std::string> texts) {
  std::ranges::sort(texts);
  std::string joined;
  for (const auto& text : texts) {
    if (!joined.empty()) joined += " | ";
    joined += text;
  }
  return joined;
}

struct DomainPart {
  // The part's state, its summary ("SPF: 7 of 10 DNS lookups") and its details as children
  // (each a line of the long output: the SPF tree, a DMARC tag that is wrong, ...).
  core::Subcheck subcheck;
  std::vector<core::Metric> metrics;  // spf_lookups, dkim_key_bits_SELECTOR, ...
  std::vector<WatchedRecord> records;
  // Every answer this part relied on was DNSSEC-secure.
  bool all_secure = true;
};

}  // namespace mailprobe::probes
