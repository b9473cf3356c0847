#pragma once
// DMARC (RFC 7489; DMARCbis, RFC 9989, noted where it differs) and BIMI of a domain, parts
// of check_mail_domain: the policy receivers find for mail from the domain (section 6.6.3:
// the domain's own record, else the organizational domain's), whether it is as strong as
// the admin wants, whether its report addresses get reports (section 7.1), and the BIMI
// assertion record (draft-brand-indicators-for-message-identification) that rides on it.
//
// States, as a mail admin reads them:
//   - no DMARC record: WARNING. Receivers apply no policy, so spoofed mail is judged on
//     content alone; many domains run so, and Gmail and Yahoo want a record from bulk
//     senders only. CRITICAL when --dmarc-policy asks for quarantine or reject: the admin
//     said a policy is needed, and none is there.
//   - an invalid record (a broken tag list, no valid p= and no valid rua=) or several
//     records: CRITICAL. Someone meant to publish a policy and receivers apply none (section
//     6.6.3 steps 5 and 6); this is the failure a silent DNS edit causes.
//   - a policy weaker than --dmarc-policy: CRITICAL, for the same reason as a missing record
//     then: the requirement the admin set is not met, and spoofed mail gets delivered.
//   - pct < 100, DMARCbis t=y, tags receivers ignore, an external report address that did
//     not authorize reports (they are not sent): WARNING. The policy works, partly.
//   - a DNS failure: UNKNOWN (the record could not be read); a bogus answer: CRITICAL
//     (validating receivers cannot read it either, and treat DMARC as a temporary error).

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "net/dns.hpp"
#include "probes/domain_part.hpp"
#include "probes/txt_lookup.hpp"
#include "protocol/dmarc_record.hpp"
#include "protocol/public_suffix.hpp"

namespace mailprobe::probes {

struct DmarcCheckOptions {
  std::string domain;  // in A-labels
  // --dmarc-policy: the weakest policy that is OK, "none", "quarantine" or "reject".
  std::string weakest_policy = "none";
  // For the organizational domain (RFC 7489 section 3.2). nullptr: the domain is taken as
  // its own organizational domain, and nothing is inherited.
  const protocol::PublicSuffixList* suffixes = nullptr;
};

// The part: summary "DMARC p=reject (_dmarc.example.org)"; metrics dmarc_policy (the
// policy that applies to the domain: 0 none, 1 quarantine, 2 reject; -1 when receivers
// apply no DMARC at all); watched records "TXT _dmarc.DOMAIN" (and the organizational
// domain's when it was asked, and each report authorization record asked), the values
// being the records that start with v=DMARC1.
boost::asio::awaitable<DomainPart> check_dmarc(net::DnsQuery query, DmarcCheckOptions options);

// Policy discovery (RFC 7489 section 6.6.3) without a verdict: what check_dmarc judges
// and what BIMI needs to know.
struct DmarcDiscovery {
  std::vector<TxtSet> lookups;  // _dmarc.DOMAIN, then _dmarc.ORGANIZATIONAL when asked
  // The TXT records of the last lookup that start with v=DMARC1, and the others' hints.
  std::vector<std::string> candidates;
  std::vector<std::string> hints;
  // Exactly one candidate: it parsed to a record, or is invalid.
  std::optional<protocol::DmarcRecord> record;
  std::optional<core::Failure> invalid;
  std::string record_domain;  // where the candidates are: DOMAIN or ORGANIZATIONAL
  bool inherited = false;     // from the organizational domain: sp= applies
};
boost::asio::awaitable<DmarcDiscovery> discover_dmarc(const net::DnsQuery& query,
                                                      std::string domain,
                                                      const protocol::PublicSuffixList* suffixes);

// Whether receivers show BIMI logos for the domain as far as DMARC goes (the draft's
// "Authentication Requirements" steps 7 to 9): a policy of quarantine or reject applies,
// sp= is not none, pct is 100, and DMARCbis t=y is not set.
bool dmarc_enforced(const DmarcDiscovery& discovery);

// BIMI: the assertion record at default._bimi.DOMAIN, else at the organizational domain
// (the draft's "Assertion Record Discovery"). Absent: OK, summary "BIMI: no record" and no
// children. BIMI is optional, so its problems are WARNINGs: a broken or duplicated record,
// and a record whose logo receivers will not show because DMARC is not at enforcement.
// Watched record "TXT default._bimi.DOMAIN" (all its TXT records).
boost::asio::awaitable<DomainPart> check_bimi(net::DnsQuery query, std::string domain,
                                              const protocol::PublicSuffixList* suffixes = nullptr);

}  // namespace mailprobe::probes
