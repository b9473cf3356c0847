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
  bool addresses_secure = false;       // every address RRset DNSSEC-secure (RFC 7672 2.2.2)
  std::string canonical_name;          // when the name is an alias (a CNAME: RFC 2181 10.3)
  std::string problem;                 // why its addresses could not be had
  // TLSA at _PORT._tcp.<name>, looked up only when the addresses are secure.
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

}  // namespace mailprobe::probes::mx
