#pragma once
// What the service probes share: where to connect, how to use TLS, how a failure maps to
// a state, and how a certificate is judged.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "net/certificate.hpp"
#include "net/resolve.hpp"
#include "net/tls_context.hpp"

namespace mailprobe::probes {

struct Target {
  std::string host;
  std::uint16_t port = 0;
  net::AddressFamily family = net::AddressFamily::any;
};

enum class TlsMode { none, starttls, implicit };

struct TlsPolicy {
  TlsMode mode = TlsMode::none;
  // Shared between probes with the same trust settings; required unless mode is none.
  std::shared_ptr<net::TlsClientContext> context;
  // The name to verify and to send as SNI; empty means the target's host.
  std::string server_name;
  // -D warn[,crit]: days a certificate of the chain must still be valid.
  std::optional<double> warning_days;
  std::optional<double> critical_days;
  // --ignore-certificate-expiration: an expired certificate is reported, not judged.
  bool ignore_expiration = false;

  const std::string& name_for(const Target& target) const {
    return server_name.empty() ? target.host : server_name;
  }
};

// The state a failure of this kind gets unless an option says otherwise: a server that
// cannot be reached, talked to or logged into is CRITICAL; a local problem is UNKNOWN.
core::State default_state(core::FailureKind kind);

// This machine's name, for EHLO when no -F names another ("localhost" when it has none).
std::string local_host_name();

// Judges the certificate chain of a TLS session: a subcheck with the earliest expiry,
// metrics cert_days (leaf) and chain_days (earliest of the chain, when it is not the leaf),
// notes for disabled verification and for bytes discarded before the handshake.
void assess_tls(const net::TlsFacts& facts, const TlsPolicy& policy, core::ProbeResult& result);

// Records the total time as the "time" metric with the response-time thresholds and the
// timeout as its maximum, and raises the state when a threshold is crossed.
void assess_response_time(double seconds, const core::Thresholds& thresholds,
                          double timeout_seconds, core::ProbeResult& result);

// Builds the policy's TLS context if it is deferred (a plugin's, built once its connection
// is up: TlsClientContext::deferred) and returns the seconds it took, which are the
// client's own and so are left out of the response time. 0 without TLS or when built.
core::Outcome<double> build_tls_context(const TlsPolicy& policy);

// Adds one phase timing as a metric in seconds ("connect", "tls", "banner", "auth").
void add_phase_metric(core::ProbeResult& result, const std::string& phase, double seconds);

}  // namespace mailprobe::probes
