#pragma once
// DNS lookups of any record type with DNSSEC validated here, on libunbound driven by the
// Asio loop: what the domain checks (check_mx) stand on. The service checks keep the
// system's resolver (getaddrinfo, net/resolve.hpp): a mail client connecting to a server
// uses /etc/hosts and nsswitch, and so do they. A check of a domain's DNS asks for records
// the system resolver cannot return (MX, TLSA, TXT) and must know whether each answer was
// signed, so it asks this resolver, and connects to the addresses it returns.
//
// Every answer carries its security: secure (a chain of signatures from the trust anchor),
// insecure (provably unsigned), or bogus (signed, but the signatures do not validate), with
// unbound's reason. A forwarder that validates itself answers SERVFAIL for bogus data;
// libunbound asks it with the CD bit set (RFC 4035 section 3.2.2), so the answer still
// says bogus and why. SERVFAIL, NXDOMAIN, NODATA and a CNAME chain are told apart.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"

namespace mailprobe::net {

namespace asio = boost::asio;

// Record types by their numbers (RFC 1035, 3596, 6698, 4034).
namespace dns_type {
inline constexpr std::uint16_t a = 1;
inline constexpr std::uint16_t ns = 2;
inline constexpr std::uint16_t cname = 5;
inline constexpr std::uint16_t soa = 6;
inline constexpr std::uint16_t ptr = 12;
inline constexpr std::uint16_t mx = 15;
inline constexpr std::uint16_t txt = 16;
inline constexpr std::uint16_t aaaa = 28;
inline constexpr std::uint16_t ds = 43;
inline constexpr std::uint16_t dnskey = 48;
inline constexpr std::uint16_t tlsa = 52;
}  // namespace dns_type

// "MX", "TLSA", ...; "TYPE65" for types without a name here.
std::string dns_type_name(std::uint16_t type);

enum class DnsSecurity { secure, insecure, bogus };
std::string_view dns_security_name(DnsSecurity security);

struct DnsAnswer {
  enum class Status {
    data,      // records of the type asked for
    nodata,    // the name exists, without records of this type
    nxdomain,  // the name does not exist
  };
  std::string name;  // as asked, in A-labels, without the trailing dot
  std::uint16_t type = 0;
  Status status = Status::data;
  DnsSecurity security = DnsSecurity::insecure;
  std::string why_bogus;       // unbound's reason, when bogus
  std::string canonical_name;  // where a CNAME chain ended, when `name` is an alias
  bool truncated = false;      // the final answer still had TC set (RFC 1035 section 4.1.1)
  std::uint32_t ttl = 0;
  std::vector<std::string> records;  // the RDATA of each record, in wire format
};

struct DnsOptions {
  // "ADDR" or "ADDR@PORT": every query goes to this resolver. Empty: the ones in
  // /etc/resolv.conf.
  std::string resolver;
  // DNSKEY or DS records in zone-file format (Debian's dns-root-data: the root's).
  std::string trust_anchor_file = "/usr/share/dns/root.key";
};

class DnsResolver {
 public:
  // Loads libunbound (at the first DNS check, not at every plugin start), reads the trust
  // anchor and the resolver to use. Failures are kind config, naming the file or address.
  static core::Outcome<std::unique_ptr<DnsResolver>> create(asio::any_io_executor executor,
                                                            const DnsOptions& options);
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;
  ~DnsResolver();

  // One query under the deadline. A name in U-labels is converted to A-labels first (IDNA
  // 2008). Failures: a name that is no domain name (config), SERVFAIL or another error
  // (resolve), no answer in time (timeout: "timeout after 5.0 s resolving TLSA
  // _25._tcp.mx1.example.org").
  asio::awaitable<core::Outcome<DnsAnswer>> query(std::string name, std::uint16_t type,
                                                  core::Deadline deadline);

  struct State;

 private:
  explicit DnsResolver(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// One query as the domain checks ask it (SPF evaluation, DMARC, DKIM, blocklists): a
// resolver under the check's deadline, or in unit tests a table of answers. Failures are
// those of DnsResolver::query.
using DnsQuery =
    std::function<asio::awaitable<core::Outcome<DnsAnswer>>(std::string name, std::uint16_t type)>;
// `resolver` (which must outlive the function) asked under `deadline`.
DnsQuery query_under(DnsResolver& resolver, core::Deadline deadline);

// A domain name as DNS carries it: U-labels converted to A-labels ("bücher.example" ->
// "xn--bcher-kva.example"), the trailing dot removed, lower case. Failures (kind config)
// say what is wrong: an empty label, a label over 63 or a name over 253 octets, a character
// no domain name has.
core::Outcome<std::string> domain_name_to_ascii(std::string_view name);

}  // namespace mailprobe::net
