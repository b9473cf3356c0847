#pragma once
// The check_tcp family (check_tcp, check_pop, check_spop, check_imap, check_simap,
// check_ssmtp): connect, optional TLS or STARTTLS, send/expect/quit, or a real login.

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/range.hpp"
#include "core/result.hpp"
#include "probes/common.hpp"
#include "probes/oauth_tokens.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::probes {

// The protocol spoken, for STARTTLS and native logins; `none` is a plain TCP service.
enum class MailProtocol { none, smtp, pop3, imap };

struct TcpOptions {
  std::string service = "TCP";  // prefix of the summary: "POP", "IMAP", "TCP"
  MailProtocol protocol = MailProtocol::none;
  Target target;
  TlsPolicy tls;
  std::string send;                 // -s, escapes already applied
  std::vector<std::string> expect;  // -e, or the service's default
  // True for a service's default expect: the reply must start with it. -e strings are
  // found anywhere in the reply instead.
  bool expect_prefix = false;
  bool expect_all = false;                            // -A
  std::string quit;                                   // -q, escapes already applied
  core::State refuse_state = core::State::critical;   // -r
  core::State mismatch_state = core::State::warning;  // -M
  bool hide_output = false;                           // -j
  std::size_t max_bytes = 0;                          // -m; 0 = no limit but the reader's own
  double delay = 0;                                   // -d: seconds to collect the reply for
  core::Thresholds response_time;                     // -w, -c
  std::optional<protocol::Credentials> credentials;   // --user: a real login
  std::string login_mechanism;                        // --auth-mechanism
  // --oauth-*: the token comes from here at each run (the credentials' secret is empty).
  std::shared_ptr<TokenSource> oauth;
  bool transcript = false;
};

enum class ExpectMatch { success, failure };

// monitoring-plugins' expect semantics: each expected string is looked for anywhere in
// what was received; one is enough unless `all` (-A).
ExpectMatch match_expect(std::string_view received, const std::vector<std::string>& expect,
                         bool all);

boost::asio::awaitable<core::ProbeResult> probe_tcp(TcpOptions options, core::Deadline deadline);

}  // namespace mailprobe::probes
