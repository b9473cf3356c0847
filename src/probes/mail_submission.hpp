#pragma once
// Hands one message to an SMTP server (EHLO, TLS, AUTH, MAIL, RCPT, DATA, QUIT), for the
// round-trip probe and the reflector.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"
#include "probes/common.hpp"
#include "probes/login_token.hpp"
#include "protocol/sasl.hpp"
#include "protocol/smtp_reply.hpp"

namespace mailprobe::probes {

struct SubmissionSettings {
  Target server;
  TlsPolicy tls;
  std::optional<protocol::Credentials> credentials;
  std::string helo;  // empty: this machine's name
};

struct Submitted {
  protocol::SmtpReply reply;                          // the final 250 after DATA
  std::chrono::steady_clock::time_point accepted_at;  // when that 250 was read
  std::string peer;                                   // "127.0.0.1:587"
};

// `before_data`, if given, runs after AUTH and before MAIL FROM; a failure it returns
// stops the submission. With an active `token` the login is by OAuth: the token is fetched
// before connecting, goes by OAUTHBEARER or XOAUTH2, and is renewed once when refused.
boost::asio::awaitable<core::Outcome<Submitted>> submit_message(
    const SubmissionSettings& settings, std::string from, std::string to, std::string message,
    core::Deadline deadline, std::vector<std::string>* transcript,
    std::function<core::Status()> before_data = {}, LoginToken* token = nullptr);

}  // namespace mailprobe::probes
