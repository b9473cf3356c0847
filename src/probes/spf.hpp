#pragma once
// SPF (RFC 7208) of a domain, the part of check_mail_domain that answers "may this address
// send mail as this domain, and will receivers be able to tell": check_host() for given
// addresses (sections 4 and 5), a walk of the whole policy without an address that counts
// what receivers count (section 4.6.4), and the DomainPart that shows both.
//
// All DNS goes through a net::DnsQuery, whose deadline bounds the work; the number of
// queries is bounded by the RFC's own limits plus a hard cap where the RFC has none.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"
#include "core/result.hpp"
#include "net/dns.hpp"
#include "probes/domain_part.hpp"
#include "protocol/spf_record.hpp"

namespace mailprobe::probes {

struct SpfCheckOptions {
  std::string domain;
  std::vector<std::string> ips;  // --spf-ip, each evaluated with check_host()
  std::string sender;            // "" means postmaster@DOMAIN (sections 2.4, 4.3)
  std::string helo;              // "" means DOMAIN (the %{h} macro only)
};

// Section 2.6.
enum class SpfResult { none, neutral, pass, fail, softfail, temperror, permerror };
// "none", "neutral", "pass", ...
std::string_view spf_result_name(SpfResult result);

// The receivers' limits of section 4.6.4.
inline constexpr int spf_max_lookups = 10;
inline constexpr int spf_max_void_lookups = 2;
inline constexpr std::size_t spf_max_names_per_lookup = 10;  // MX hosts of mx, PTR names of ptr

// check_host() for one address.
struct SpfEvaluation {
  std::string ip;  // as given
  SpfResult result = SpfResult::none;
  // What decided, one line: "'ip4:192.0.2.0/24' at example.org matched",
  // "'-all' at example.org", "include:_spf.example.net > 'ip4:198.51.100.0/24' at
  // _spf.example.net matched", "12 DNS lookups: over the limit of 10 at 'a:x.example.org'".
  std::string reason;
  // The DNS failure behind a temperror: timeout (our deadline) or resolve (SERVFAIL, a bogus
  // answer, ...).
  std::optional<core::FailureKind> failure_kind;
  int lookups = 0;  // DNS-querying terms evaluated (section 4.6.4)
  int void_lookups = 0;
  bool all_secure = true;  // every answer used was DNSSEC-secure
};

// check_host(ip, domain, sender) of section 4: `ip` is an IPv4 or IPv6 address in text.
boost::asio::awaitable<SpfEvaluation> evaluate_spf(net::DnsQuery query, std::string ip,
                                                   SpfCheckOptions options);

// One term of the walk's tree, for the long output.
struct SpfNode {
  // "include:_spf.example.net", "redirect=_spf.example.org", "a", "mx:example.org/24";
  // the root: the domain.
  std::string term;
  std::string domain;  // the name it queried ("" when it could not be expanded)
  int lookups = 0;     // DNS-querying terms at and under it
  core::State state = core::State::ok;
  std::string problem;  // "" or what is wrong here, one line
  std::string note;     // "" or a fact: "void: NXDOMAIN", "depends on the sender's address"
  std::vector<SpfNode> children;
};

struct SpfFinding {
  core::State state;
  std::string message;
};

// The whole policy without an address: every include and redirect followed, every
// DNS-querying term counted as a receiver would count it if no term matched (the worst case,
// which is what the limit must allow).
struct SpfWalk {
  std::string domain;
  // The domain's own SPF records (normally one); empty when it has none.
  std::vector<std::string> records;
  SpfNode root;
  int lookups = 0;
  int void_lookups = 0;
  bool capped = false;            // stopped at spf_walk_cap lookups: "over" is all we know
  bool sender_dependent = false;  // a macro needs the sender's address or name
  // Problems of the policy as a whole (the tree's nodes carry those of one term).
  std::vector<SpfFinding> findings;
  std::vector<WatchedRecord> watched;  // "TXT DOMAIN" of every SPF record set read
  bool all_secure = true;
  // The domain's TXT could not be read (a temperror for every receiver, or our deadline).
  std::optional<core::Failure> failure;
};

// A walk stops counting at this many lookups: a policy that far over the limit is
// broken whatever the exact number, and a hostile one must not cost more.
inline constexpr int spf_walk_cap = 30;

boost::asio::awaitable<SpfWalk> walk_spf(net::DnsQuery query, std::string domain);

// The SPF part of check_mail_domain: the walk, and check_host() for each of options.ips.
// Metrics spf_lookups (critical over 10) and spf_void_lookups (critical over 2).
boost::asio::awaitable<DomainPart> check_spf(net::DnsQuery query, SpfCheckOptions options);

// Whether `record` is exactly "v=spf1 -all" (spacing and case aside): "no address may send
// mail as this domain", what a domain with a null MX should publish when it sends no mail
// either (RFC 7505 section 4.2).
bool is_reject_all(std::string_view record);

}  // namespace mailprobe::probes
