#pragma once
// check_mail_domain: what receivers read in a domain's DNS before they accept its mail. SPF
// with its whole evaluation tree, DMARC (inherited from the organizational domain where the
// domain has none), the DKIM keys of the selectors given, BIMI, a null MX with the SPF that
// goes with it, whether every answer was DNSSEC-secure, and what changed since the last run.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/result.hpp"
#include "net/dns.hpp"
#include "protocol/public_suffix.hpp"

namespace mailprobe::probes {

struct MailDomainOptions {
  std::string domain;  // in A-labels
  net::DnsOptions dns;
  std::vector<std::string> spf_ips;         // --spf-ip: evaluate SPF for each
  std::vector<std::string> dkim_selectors;  // --dkim-selector
  std::string dmarc_policy = "none";        // the weakest DMARC policy that is OK
  std::shared_ptr<const protocol::PublicSuffixList> suffixes;
  // Where the records' last values are kept; empty: no change detection.
  std::string state_file;
  // A change is a WARNING for this long after a run first saw it.
  std::chrono::milliseconds changed_warn{std::chrono::hours(24)};
};

boost::asio::awaitable<core::ProbeResult> probe_mail_domain(MailDomainOptions options,
                                                            core::Deadline deadline);

}  // namespace mailprobe::probes
