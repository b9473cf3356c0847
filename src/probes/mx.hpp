#pragma once
// check_mx: the path the internet takes to a domain's mail. The MX records (null MX, the
// implicit MX, RFC violations), every MX host's addresses, each address probed as a sender
// would (banner, EHLO, STARTTLS, the certificate), DANE against the TLSA records where
// DNSSEC makes them count, the MTA-STS policy and the TLS-RPT record.

#include <openssl/x509.h>

#include <array>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/deadline.hpp"
#include "core/result.hpp"
#include "net/dns.hpp"
#include "net/resolve.hpp"
#include "net/tls_context.hpp"

namespace mailprobe::probes {

struct MxOptions {
  std::string domain;
  std::uint16_t port = 25;  // of every MX address; TLSA is looked up at _PORT._tcp
  net::AddressFamily family = net::AddressFamily::any;  // -4, -6
  std::size_t max_addresses = 16;
  net::DnsOptions dns;
  // For the MX sessions: verification off (the chain is judged here, by PKIX and by DANE),
  // trusting the system's CAs or --ca-file.
  std::shared_ptr<net::TlsClientContext> smtp_tls;
  // For the MTA-STS policy: verified (RFC 8461 section 3.3, WebPKI).
  std::shared_ptr<net::TlsClientContext> https_tls;
  std::uint16_t mta_sts_port = 443;
  std::optional<double> warning_days;  // -D warn[,crit]: days a certificate must still be valid
  std::optional<double> critical_days;
  std::string helo_name;  // empty: this machine's name
  // --next-cert: the certificate (or key) an MX will present after its next rollover; a
  // TLSA set that matches only the current one is a WARNING before the rollover defers mail.
  std::shared_ptr<X509> next_certificate;
  std::string next_certificate_file;
  bool expect_null_mx = false;
  bool require_dane = false;
  bool require_mta_sts = false;
  bool require_tls_rpt = false;
  bool transcript = false;
};

// Per address, besides the timings and certificate days, check_mx measures (as
// core::target_metric_name series): "up" (1 when senders can deliver there), "dane" and
// "mta_sts" (an index into the names below; the daemon shows them as state sets).
enum class DaneState { none, insecure, unusable, matched, mismatch, bogus, unavailable };
inline constexpr std::array<std::string_view, 7> dane_state_names{
    "none", "insecure", "unusable", "matched", "mismatch", "bogus", "unavailable"};
// The MTA-STS mode that applies to the address's MX, and whether the policy lists it.
enum class MxStsState { none, testing, enforce, testing_unlisted, enforce_unlisted };
inline constexpr std::array<std::string_view, 5> sts_state_names{
    "none", "testing", "enforce", "testing_unlisted", "enforce_unlisted"};

boost::asio::awaitable<core::ProbeResult> probe_mx(MxOptions options, core::Deadline deadline);

}  // namespace mailprobe::probes
