#pragma once
// The `notifications:` part of the daemon's configuration: where hard state changes go
// (webhooks, commands, email through a relay), how often a lasting problem is repeated,
// and which peer daemons must agree before anyone is told.
//
//   notifications:
//     renotify: 4h                  # repeat while a problem lasts (default: never)
//     webhooks:
//       - url: https://hooks.example.com/mail
//         bearer_token_file: /etc/mailprobe/hook.token   # optional
//         ca_file: /etc/mailprobe/hooks-ca.pem           # optional
//         timeout: 10s
//     commands:
//       - command: [/usr/local/bin/sms, "+491701234567"]  # no shell; MAILPROBE_* env vars
//         timeout: 30s
//     email:
//       relay: smtp.example.net:587   # never the mail system under test
//       tls: starttls                 # starttls (default), tls, none
//       user: mailprobe@example.net
//       password_file: /etc/mailprobe/relay.password
//       # or, instead of a password, an OAuth 2.0 token (XOAUTH2/OAUTHBEARER) for `user`:
//       # oauth: {tenant: ..., client_id: ..., client_secret_file: ...}   # the --oauth-* settings
//       from: mailprobe@example.net
//       to: [oncall@example.com]
//     peers: [https://dc-2.example.com:9797, https://dc-3.example.com:9797]
//     peer_ca_file: /etc/mailprobe/peers-ca.pem       # optional, for https:// peers
//     peer_user: mailprobe                             # optional: the peers' basic auth
//     peer_password_file: /etc/mailprobe/peer.password
//     quorum: 2                       # locations (this one included) that must see it down

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config_reader.hpp"
#include "net/tls_context.hpp"
#include "probes/mail_submission.hpp"
#include "probes/oauth_tokens.hpp"
#include "protocol/http_client.hpp"

namespace mailprobe::daemon {

struct WebhookConfig {
  std::string url;  // from url, url_file or url_env; logs show url_for_logs(url)
  protocol::HttpUrl target;
  std::shared_ptr<net::TlsClientContext> tls;  // for https://
  std::string bearer_token;                    // read from bearer_token_file
  double timeout_seconds = 10;
};

struct CommandConfig {
  std::vector<std::string> argv;
  double timeout_seconds = 30;
};

struct EmailConfig {
  std::string relay;  // as written, for messages
  probes::SubmissionSettings submission;
  // With `oauth:`: the user's token, fetched (or taken from the daemon's token cache) at
  // each delivery into the submission's credentials.
  std::shared_ptr<probes::TokenSource> oauth;
  std::string from;
  std::vector<std::string> to;
  double timeout_seconds = 30;
};

struct PeerConfig {
  std::string url;
  protocol::HttpUrl target;
  std::shared_ptr<net::TlsClientContext> tls;
  std::string authorization;  // "Basic ..." from peer_user and peer_password_file, or empty
};

struct NotificationConfig {
  std::vector<WebhookConfig> webhooks;
  std::vector<CommandConfig> commands;
  std::optional<EmailConfig> email;
  std::chrono::milliseconds renotify{0};  // 0: never
  std::vector<PeerConfig> peers;
  int quorum = 1;
  double peer_timeout_seconds = 5;

  bool any_channel() const { return !webhooks.empty() || !commands.empty() || email; }
};

// Reads `node` (the value of `notifications:`); throws ConfigError.
NotificationConfig read_notifications(const Reader& reader, const YAML::Node& node);

}  // namespace mailprobe::daemon
