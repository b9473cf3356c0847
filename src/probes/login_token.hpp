#pragma once
// The OAuth 2.0 token of a login that is part of a larger run (a round trip's leg, the
// reflector's SMTP and IMAP sessions): fetched before the first connection, timed as its
// own phase ("send_token", "receive_token"), kept for the logins that follow (POP3 polls
// log in again and again), and renewed once when the server refuses one that came from the
// cache or was used before, since it may have been revoked or run out meanwhile.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/deadline.hpp"
#include "core/outcome.hpp"
#include "core/result.hpp"
#include "probes/oauth_tokens.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::probes {

class LoginToken {
 public:
  // `source` may be null: a login with the password or token the credentials hold. Tokens
  // are fetched under `deadline`, the run's.
  LoginToken(std::shared_ptr<TokenSource> source, core::ProbeResult& result, std::string phase,
             bool transcript, core::Deadline deadline);

  bool active() const { return source_ != nullptr; }
  // Puts the token into `credentials` (and marks them as a token): fetched the first time,
  // the one kept afterwards. Does nothing when not active.
  boost::asio::awaitable<core::Status> fill(protocol::Credentials& credentials);
  // After a login failed with `failure`: true when a new token is in `credentials` and the
  // login is worth one more try (the server refused a token that was cached or used
  // before, or `worked_before`: it was taken earlier in the run; once per run). A failure
  // of the renewal itself is returned.
  boost::asio::awaitable<core::Outcome<bool>> renew_after(const core::Failure& failure,
                                                          protocol::Credentials& credentials,
                                                          bool worked_before = false);
  // Seconds spent getting tokens so far (0 for cached ones).
  double seconds() const { return seconds_; }

 private:
  std::shared_ptr<TokenSource> source_;
  core::ProbeResult& result_;
  std::string phase_;
  bool transcript_ = false;
  core::Deadline deadline_;
  std::optional<AccessToken> token_;
  int uses_ = 0;
  bool renewed_ = false;
  double seconds_ = 0;
};

}  // namespace mailprobe::probes
