#pragma once
// check_smtp: banner, EHLO, STARTTLS or implicit TLS, AUTH, MAIL FROM and extra commands.

#include <boost/asio/awaitable.hpp>
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

struct SmtpOptions {
  Target target;
  TlsPolicy tls;
  std::string expect = "220";                        // -e: the banner must start with this
  std::string helo_name;                             // -F; empty: this machine's host name
  bool lmtp = false;                                 // -L: LHLO instead of EHLO
  bool proxy_header = false;                         // -r: send a PROXY protocol v1 header first
  std::string from;                                  // -f: MAIL FROM:<from>
  std::vector<std::string> commands;                 // -C
  std::vector<std::string> responses;                // -R: extended regular expression per command
  std::optional<protocol::Credentials> credentials;  // -U with a password or token
  std::string auth_mechanism;                        // -A; empty: the best offered
  bool token = false;                                // the secret is an OAuth token
  bool ignore_quit_failure = false;                  // -q
  core::Thresholds response_time;                    // -w, -c
  bool transcript = false;                           // -v, debug=true
  // --oauth-*: the token comes from here at each run (the credentials' secret is empty).
  std::shared_ptr<TokenSource> oauth;
};

boost::asio::awaitable<core::ProbeResult> probe_smtp(SmtpOptions options, core::Deadline deadline);

}  // namespace mailprobe::probes
