#include "daemon/notify_config.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <set>

#include "daemon/config_reader.hpp"
#include "plugins/oauth_options.hpp"
#include "plugins/plugin_options.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::daemon {

namespace {

std::shared_ptr<net::TlsClientContext> tls_context(const Reader& reader, const YAML::Node& node,
                                                   const std::string& where) {
  net::TlsClientOptions options;
  if (node["ca_file"]) options.ca_file = reader.text(node["ca_file"], where + ".ca_file");
  auto context = net::TlsClientContext::create(options);
  if (!context)
    reader.fail(node["ca_file"] ? node["ca_file"] : node, where + ".ca_file",
                context.failure().message);
  return *context;
}

std::string secret(const Reader& reader, const YAML::Node& node, const std::string& key) {
  auto path = reader.text(node, key);
  auto value = plugins::read_secret_file(path);
  if (!value) reader.fail(node, key, value.failure().message);
  return *value;
}

double seconds(const Reader& reader, const YAML::Node& node, const std::string& key) {
  return std::chrono::duration<double>(reader.duration(node, key, ranges::timeout)).count();
}

WebhookConfig read_webhook(const Reader& reader, const YAML::Node& node, const std::string& where) {
  reader.only(node, where,
              {"url", "url_file", "url_env", "bearer_token_file", "ca_file", "timeout"});
  WebhookConfig webhook;
  // A URL whose path is its secret (Slack, Teams) can be kept out of the file.
  int given = (node["url"] ? 1 : 0) + (node["url_file"] ? 1 : 0) + (node["url_env"] ? 1 : 0);
  if (given != 1) {
    reader.fail(node, where + ".url",
                given == 0 ? "missing (url, or url_file or url_env for a secret URL)"
                           : "give one of url, url_file and url_env");
  }
  std::string key = node["url"] ? "url" : node["url_file"] ? "url_file" : "url_env";
  if (key == "url") {
    webhook.url = reader.text(node["url"], where + ".url");
  } else if (key == "url_file") {
    webhook.url = secret(reader, node["url_file"], where + ".url_file");
  } else {
    auto name = reader.text(node["url_env"], where + ".url_env");
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') {
      reader.fail(node["url_env"], where + ".url_env",
                  "environment variable " + name + " is not set");
    }
    webhook.url = value;
  }
  auto target = protocol::parse_http_url(webhook.url);
  if (!target) reader.fail(node[key], where + "." + key, target.failure().message);
  webhook.target = *target;
  if (webhook.target.tls) {
    webhook.tls = tls_context(reader, node, where);
  } else if (node["ca_file"]) {
    reader.fail(node["ca_file"], where + ".ca_file", "only for https:// URLs");
  }
  if (node["bearer_token_file"]) {
    webhook.bearer_token = secret(reader, node["bearer_token_file"], where + ".bearer_token_file");
  }
  if (node["timeout"])
    webhook.timeout_seconds = seconds(reader, node["timeout"], where + ".timeout");
  return webhook;
}

CommandConfig read_command(const Reader& reader, const YAML::Node& node, const std::string& where) {
  reader.only(node, where, {"command", "timeout"});
  CommandConfig command;
  if (!node["command"])
    reader.fail(node, where + ".command", "missing (a list: program and arguments)");
  if (!node["command"].IsSequence()) {
    reader.fail(node["command"], where + ".command",
                "must be a list (program and arguments; no shell is involved)");
  }
  command.argv = reader.list(node["command"], where + ".command");
  if (command.argv.empty() || command.argv.front().empty()) {
    reader.fail(node["command"], where + ".command", "names no program");
  }
  if (node["timeout"])
    command.timeout_seconds = seconds(reader, node["timeout"], where + ".timeout");
  return command;
}

// The `oauth:` block of the email channel: the plugins' --oauth-* settings, as keys, checked
// by the same rules; the token source keeps its tokens in the daemon's memory cache.
std::shared_ptr<probes::TokenSource> read_oauth(const Reader& reader, const YAML::Node& node,
                                                const std::string& where, const std::string& user) {
  // The plugins' settings, with '_' for '-'; not the cache: the daemon keeps tokens in memory.
  auto key_of = [](std::string_view name) {
    std::string key(name);
    std::ranges::replace(key, '-', '_');
    return key;
  };
  std::set<std::string> keys;
  for (const auto& setting : plugins::oauth_settings()) {
    if (setting.name != "cache") keys.insert(key_of(setting.name));
  }
  reader.only(node, where, keys);
  plugins::OAuthOptions options;
  for (const auto& setting : plugins::oauth_settings()) {
    auto key = key_of(setting.name);
    if (!keys.contains(key) || !node[key]) continue;
    std::string path = where;
    path.append(".").append(key);
    options.*setting.value = reader.text(node[key], path);
  }
  auto source = plugins::make_token_source(options, user, plugins::OAuthSpelling::yaml);
  if (!source) reader.fail(node, where, source.failure().message);
  return *source;
}

EmailConfig read_email(const Reader& reader, const YAML::Node& node) {
  const std::string where = "notifications.email";
  reader.only(node, where,
              {"relay", "tls", "user", "password_file", "password_env", "oauth", "ca_file", "helo",
               "from", "to", "timeout"});
  EmailConfig email;
  if (!node["relay"]) reader.fail(node, where + ".relay", "missing (HOST:PORT of an SMTP relay)");
  email.relay = reader.text(node["relay"], where + ".relay");
  auto colon = email.relay.rfind(':');
  auto& server = email.submission.server;
  server.host = colon == std::string::npos ? email.relay : email.relay.substr(0, colon);
  if (server.host.size() > 2 && server.host.front() == '[') {
    server.host = server.host.substr(1, server.host.size() - 2);
  }
  std::string mode = node["tls"] ? reader.text(node["tls"], where + ".tls") : "starttls";
  auto& tls = email.submission.tls;
  if (mode == "starttls") {
    tls.mode = probes::TlsMode::starttls;
  } else if (mode == "tls") {
    tls.mode = probes::TlsMode::implicit;
  } else if (mode == "none") {
    tls.mode = probes::TlsMode::none;
  } else {
    reader.fail(node["tls"], where + ".tls", "'" + mode + "' is not starttls, tls or none");
  }
  int port = tls.mode == probes::TlsMode::implicit ? 465 : 587;
  if (colon != std::string::npos) {
    auto digits = email.relay.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size()) port = 0;
  }
  if (server.host.empty() || port <= 0 || port > 65535) {
    reader.fail(node["relay"], where + ".relay", "'" + email.relay + "' is not HOST or HOST:PORT");
  }
  server.port = static_cast<std::uint16_t>(port);
  if (tls.mode != probes::TlsMode::none) {
    tls.context = tls_context(reader, node, where);
  } else if (node["ca_file"]) {
    reader.fail(node["ca_file"], where + ".ca_file", "only with tls: starttls or tls");
  }
  if (node["user"]) {
    protocol::Credentials credentials;
    credentials.user = reader.text(node["user"], where + ".user");
    if (node["oauth"]) {
      if (node["password_file"] || node["password_env"]) {
        reader.fail(node["oauth"], where + ".oauth",
                    "not with password_file or password_env: the token is the password");
      }
      email.oauth = read_oauth(reader, node["oauth"], where + ".oauth", credentials.user);
      credentials.token = true;
    } else if (node["password_file"]) {
      credentials.secret = secret(reader, node["password_file"], where + ".password_file");
    } else if (node["password_env"]) {
      auto name = reader.text(node["password_env"], where + ".password_env");
      const char* value = std::getenv(name.c_str());
      if (value == nullptr) {
        reader.fail(node["password_env"], where + ".password_env",
                    "environment variable " + name + " is not set");
      }
      credentials.secret = value;
    } else {
      reader.fail(node["user"], where + ".password_file",
                  "missing (the user's password, or oauth: for a token)");
    }
    if (tls.mode == probes::TlsMode::none) {
      reader.fail(node["user"], where + ".tls", "a login needs tls: starttls or tls");
    }
    email.submission.credentials = std::move(credentials);
  } else if (node["password_file"] || node["password_env"]) {
    reader.fail(node, where + ".user", "missing (whose password is it?)");
  } else if (node["oauth"]) {
    reader.fail(node["oauth"], where + ".user", "missing (the mailbox the token logs in as)");
  }
  if (node["helo"]) email.submission.helo = reader.text(node["helo"], where + ".helo");
  if (!node["from"]) reader.fail(node, where + ".from", "missing (the sender address)");
  email.from = reader.text(node["from"], where + ".from");
  if (!node["to"]) reader.fail(node, where + ".to", "missing (one or more addresses)");
  email.to = reader.list(node["to"], where + ".to");
  for (const auto& address : email.to) {
    if (address.find('@') == std::string::npos) {
      reader.fail(node["to"], where + ".to", "'" + address + "' is not an address");
    }
  }
  if (email.from.find('@') == std::string::npos) {
    reader.fail(node["from"], where + ".from", "'" + email.from + "' is not an address");
  }
  if (node["timeout"]) email.timeout_seconds = seconds(reader, node["timeout"], where + ".timeout");
  return email;
}

}  // namespace

NotificationConfig read_notifications(const Reader& reader, const YAML::Node& node) {
  const std::string where = "notifications";
  reader.only(node, where,
              {"renotify", "webhooks", "commands", "email", "peers", "quorum", "peer_timeout",
               "peer_ca_file", "peer_user", "peer_password_file"});
  NotificationConfig config;
  if (node["renotify"])
    config.renotify = reader.duration(node["renotify"], where + ".renotify", ranges::renotify);
  if (auto webhooks = node["webhooks"]) {
    if (!webhooks.IsSequence()) reader.fail(webhooks, where + ".webhooks", "must be a list");
    for (std::size_t i = 0; i < webhooks.size(); ++i) {
      config.webhooks.push_back(
          read_webhook(reader, webhooks[i], where + ".webhooks[" + std::to_string(i) + "]"));
    }
  }
  if (auto commands = node["commands"]) {
    if (!commands.IsSequence()) reader.fail(commands, where + ".commands", "must be a list");
    for (std::size_t i = 0; i < commands.size(); ++i) {
      config.commands.push_back(
          read_command(reader, commands[i], where + ".commands[" + std::to_string(i) + "]"));
    }
  }
  if (node["email"]) config.email = read_email(reader, node["email"]);
  if (auto peers = node["peers"]) {
    auto urls = reader.list(peers, where + ".peers");
    std::shared_ptr<net::TlsClientContext> tls;
    for (const auto& url : urls) {
      PeerConfig peer;
      peer.url = url;
      auto target = protocol::parse_http_url(url);
      if (!target) reader.fail(peers, where + ".peers", target.failure().message);
      peer.target = *target;
      if (peer.target.tls) {
        if (!tls) {
          net::TlsClientOptions options;
          if (node["peer_ca_file"]) {
            options.ca_file = reader.text(node["peer_ca_file"], where + ".peer_ca_file");
          }
          auto context = net::TlsClientContext::create(options);
          if (!context) reader.fail(peers, where + ".peer_ca_file", context.failure().message);
          tls = *context;
        }
        peer.tls = tls;
      }
      config.peers.push_back(std::move(peer));
    }
  }
  if (node["peer_user"] || node["peer_password_file"]) {
    if (!node["peer_user"] || !node["peer_password_file"]) {
      reader.fail(node, where + (node["peer_user"] ? ".peer_password_file" : ".peer_user"),
                  "missing (peer_user and peer_password_file go together)");
    }
    auto user = reader.text(node["peer_user"], where + ".peer_user");
    auto password = secret(reader, node["peer_password_file"], where + ".peer_password_file");
    auto credentials = user;
    credentials += ":" + password;
    for (auto& peer : config.peers)
      peer.authorization = "Basic " + protocol::base64_encode(credentials);
  }
  if (node["quorum"]) {
    int locations = static_cast<int>(config.peers.size()) + 1;
    config.quorum = reader.number(node["quorum"], where + ".quorum", 1, locations);
  }
  if (node["peer_timeout"]) {
    config.peer_timeout_seconds = seconds(reader, node["peer_timeout"], where + ".peer_timeout");
  }
  if (!config.any_channel() && (config.quorum > 1 || config.renotify.count() > 0)) {
    reader.fail(node, where, "no webhooks, commands or email to notify");
  }
  return config;
}

}  // namespace mailprobe::daemon
