#pragma once
// check_mail_roundtrip: sends one test message through SMTP and times its arrival in an
// IMAP or POP3 mailbox, remembering earlier runs' messages in a state file (eG's Mail test,
// Email Scout's round trip, optionally through a reflector). Either leg can use Microsoft
// Graph instead (sendMail, and listing the mailbox), for Microsoft 365 mailboxes whose
// IMAP, POP3 and SMTP AUTH are switched off.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/deadline.hpp"
#include "core/range.hpp"
#include "core/result.hpp"
#include "probes/common.hpp"
#include "probes/oauth_tokens.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::probes {

enum class ReceiveProtocol { imap, pop3, graph };
enum class SendProtocol { smtp, graph };

struct RoundTripOptions {
  // Sending
  SendProtocol send_protocol = SendProtocol::smtp;
  Target smtp;  // with Graph: Graph's host and port
  TlsPolicy smtp_tls;
  std::optional<protocol::Credentials> smtp_credentials;
  std::string helo;  // empty: this machine's name
  std::string from;
  std::string to;
  // Receiving
  ReceiveProtocol protocol = ReceiveProtocol::imap;
  Target receive;
  TlsPolicy receive_tls;
  protocol::Credentials receive_credentials;
  std::string mailbox = "INBOX";     // with Graph: a folder's id or well-known name (inbox)
  std::string junk_folder = "Junk";  // empty: do not look there (Graph: junkemail)
  // Microsoft Graph, for a leg that uses it: its base URL and how its certificate is
  // trusted. A Graph leg's credentials are the mailbox (user) and an OAuth 2.0 access token
  // for Graph (secret), with Mail.Send to send and Mail.ReadWrite to read and delete.
  std::string graph_url = "https://graph.microsoft.com";
  std::shared_ptr<net::TlsClientContext> graph_tls;
  // --oauth-*: where a leg's OAuth 2.0 access token comes from at each run (for a Graph leg,
  // a token for Graph); its credentials then hold the user and no secret. Null: the
  // credentials' password (or a Graph leg's token file).
  std::shared_ptr<TokenSource> smtp_oauth;
  std::shared_ptr<TokenSource> receive_oauth;
  core::State junk_state = core::State::warning;
  // Timing
  double wait_seconds = 30;         // how long this run waits for its own message
  double poll_seconds = 1;          // POP3, Graph, and IMAP without IDLE
  double lost_after_seconds = 600;  // a probe older than this that never came is lost
  core::Thresholds rtt;             // -w, -c on round-trip time (seconds)
  // Memory and identity
  std::string state_file;
  std::string secret;      // HMAC key shared with a reflector
  bool keep = false;       // leave arrived test messages in the mailbox
  bool reflector = false;  // `to` reflects: wait for the reflection
  bool transcript = false;
};

// The key that separates this check's probes from other checks' in a shared state file.
std::string roundtrip_check_key(const RoundTripOptions& options);

boost::asio::awaitable<core::ProbeResult> probe_roundtrip(RoundTripOptions options,
                                                          core::Deadline deadline);

}  // namespace mailprobe::probes
