#pragma once
// The reflector's second mode, for mail systems where a pipe is not possible: it reads a
// mailbox over IMAP, answers the genuine probes there and deletes them.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"
#include "probes/common.hpp"
#include "probes/oauth_tokens.hpp"
#include "probes/reflector.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::probes {

struct ReflectorMailbox {
  Target server;
  TlsPolicy tls;
  protocol::Credentials credentials;
  std::string mailbox = "INBOX";
  // --oauth-* (--imap-oauth-*): the login's token comes from here (the credentials hold no
  // secret then).
  std::shared_ptr<TokenSource> oauth;
};

struct WatchReport {
  int reflected = 0;
  int ignored = 0;  // messages with a probe header that were not answered (left alone)
  std::vector<std::string> ignored_why;  // "UID 7: malformed probe token", one per message
  std::vector<std::string> warnings;     // "OAuth: the token cache ...": worth a log line
};

// One session: logs in, answers and deletes the probes there, then waits for new mail
// (IDLE) and does the same, until `deadline` is near. Fails when the mailbox cannot be
// read; a probe that cannot be answered is left for the next session.
boost::asio::awaitable<core::Outcome<WatchReport>> watch_mailbox(ReflectorMailbox mailbox,
                                                                 ReflectorOptions reflector,
                                                                 core::Deadline deadline,
                                                                 bool once);

}  // namespace mailprobe::probes
