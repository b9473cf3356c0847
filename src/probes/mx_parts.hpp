#pragma once
// The parts of check_mx (internal to probes/mx*.cpp): what DNS says about the MX hosts,
// one SMTP session per address, and the domain's policies.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"
#include "net/certificate.hpp"
#include "net/dns.hpp"
#include "probes/mx.hpp"
#include "protocol/mta_sts.hpp"
#include "protocol/tlsa.hpp"

namespace mailprobe::probes::mx {

// One MX host with what DNS says about it.
struct Host {
  std::string name;  // as the MX record names it
  std::uint16_t preference = 0;
  std::vector<std::string> addresses;  // A then AAAA, as text
  bool addresses_secure = false;       // every address RRset DNSSEC-secure (RFC 7672 section 2.2)
  std::string canonical_name;          // when the name is an alias (a CNAME: RFC 2181 10.3)
  std::string problem;                 // why its addresses could not be had
  // TLSA at _PORT._tcp.<tlsa_owner>: the MX host name's, or a secure alias's canonical
  // name's when it has TLSA records (RFC 7671 section 7, RFC 7672 section 2.2).
  std::string tlsa_owner;
  std::optional<net::DnsAnswer> tlsa;
  std::string tlsa_problem;  // SERVFAIL, timeout
  std::vector<protocol::TlsaRecord> tlsa_records;
  std::vector<std::string> tlsa_malformed;  // RDATA that is no TLSA record
};

// The MX records of a domain, or the implicit MX.
struct MxSet {
  net::DnsAnswer answer;
  bool implicit = false;                // no MX: the domain itself (RFC 5321 section 5.1)
  bool null_mx = false;                 // RFC 7505
  std::vector<std::string> violations;  // "MX 10 192.0.2.1: an address literal, not a name"
  std::vector<Host> hosts;              // by preference
  // Hosts after the first that brought the addresses to --max-addresses: not looked up.
  std::vector<std::string> not_looked_up;
};

// What one address answered.
struct Session {
  std::string host;
  std::string address;
  std::optional<core::Failure> failure;  // connect, banner, EHLO
  bool starttls_offered = false;
  std::optional<core::Failure> tls_failure;
  std::optional<net::TlsFacts> tls;  // the handshake's facts; verify_problem = PKIX result
  std::vector<net::X509Ptr> chain;
  double connect_seconds = 0;
  double banner_seconds = 0;
  double tls_seconds = 0;
};

// Looks up the MX records and every host's addresses (and TLSA when they are secure).
boost::asio::awaitable<core::Outcome<MxSet>> look_up(net::DnsResolver& dns,
                                                     const MxOptions& options,
                                                     core::Deadline deadline);

// Connects to `address`, reads the banner, says EHLO and does STARTTLS when offered.
boost::asio::awaitable<Session> talk_to(std::string host, std::string address,
                                        const MxOptions& options, core::Deadline deadline,
                                        std::vector<std::string>* transcript);

// The MTA-STS record and policy of a domain.
struct StsState {
  int records = 0;  // TXT records starting with v=STSv1
  std::string id;
  std::optional<protocol::StsPolicy> policy;
  std::string problem;  // why there is no policy although a record says there is
  std::vector<std::string> warnings;
};
boost::asio::awaitable<StsState> mta_sts(net::DnsResolver& dns, const MxOptions& options,
                                         core::Deadline deadline);

struct TlsRptState {
  bool present = false;
  std::vector<std::string> rua;
  std::string problem;
};
boost::asio::awaitable<TlsRptState> tls_rpt(net::DnsResolver& dns, const MxOptions& options,
                                            core::Deadline deadline);

// The verdicts (mx_judge.cpp): each adds its lines to `result`.
// DANE applies to a host whose addresses and TLSA records are DNSSEC-secure and usable.
bool dane_applies(const Host& host);
// What DNS alone says of DANE at a host; nullopt when only the certificate can tell.
std::optional<DaneState> dane_from_dns(const Host& host);
// The MTA-STS mode senders apply to an MX, and whether the policy lists it.
MxStsState sts_state(const StsState& sts, const Host& host);
// The MX records themselves; false when there is nothing to probe (null MX, NXDOMAIN, ...).
bool judge_mx_records(const MxSet& set, const MxOptions& options, core::ProbeResult& result);
// What DNS says about one host: no address, an alias, TLSA in each of its states.
void judge_host(const Host& host, const MxOptions& options, const StsState& sts,
                core::ProbeResult& result);
// One address: its line, and its metrics in `result`; `dane_verdict` becomes matched or
// mismatch when DANE applies and a certificate was presented.
core::Subcheck judge_session(const Session& session, const Host& host, const MxOptions& options,
                             const StsState& sts, core::ProbeResult& result,
                             std::optional<DaneState>& dane_verdict);
void judge_policies(const StsState& sts, const TlsRptState& rpt, const MxOptions& options,
                    core::ProbeResult& result);

}  // namespace mailprobe::probes::mx
