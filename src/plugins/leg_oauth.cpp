#include "plugins/leg_oauth.hpp"

#include <algorithm>

namespace mailprobe::plugins {

namespace {

core::Failure leg_error(const std::string& leg, const std::string& message) {
  return {"options", core::FailureKind::config, leg + ": " + message};
}

}  // namespace

std::string default_graph_scope(bool delegated) {
  // Mail.ReadWrite to list and delete, Mail.Send to send (what the round trip's Graph legs
  // call); offline_access keeps the refresh token coming.
  return delegated ? "https://graph.microsoft.com/Mail.ReadWrite "
                     "https://graph.microsoft.com/Mail.Send offline_access"
                   : "https://graph.microsoft.com/.default";
}

OAuthOptions leg_oauth_options(const OAuthOptions& shared, const OAuthOptions& own) {
  // What proves who the application is comes from one place, never mixed; the rest each
  // from the leg when it has it.
  OAuthOptions merged = shared;
  bool own_credential = std::ranges::any_of(oauth_settings(), [&](const OAuthSetting& s) {
    return s.credential && !(own.*s.value).empty();
  });
  for (const auto& setting : oauth_settings()) {
    const auto& mine = own.*setting.value;
    if (setting.credential ? own_credential : !mine.empty()) merged.*setting.value = mine;
  }
  return merged;
}

core::Outcome<std::shared_ptr<probes::TokenSource>> leg_token_source(
    const OAuthOptions& shared, const OAuthOptions& own, const ServerOptions& server,
    const std::string& user, const std::string& prefix, const std::string& leg,
    TokenAudience audience) {
  auto option = [&](const std::string& name) { return "--" + prefix + "-" + name; };
  if (!own.given() && (!shared.given() || user.empty())) {
    return std::shared_ptr<probes::TokenSource>{};
  }
  if (user.empty()) {
    return leg_error(leg,
                     option("oauth-*") + " needs " + option("user") + ": the mailbox to log in as");
  }
  if (!server.password_file.empty() || !server.password_env.empty()) {
    return leg_error(leg, "it logs in with OAuth (--oauth-*, " + option("oauth-*") +
                              "): not with " + option("password-file") + " or " +
                              option("password-env"));
  }
  auto options = leg_oauth_options(shared, own);
  if (audience == TokenAudience::graph) {
    // Graph takes Microsoft Entra ID's tokens only.
    if (options.provider == "google" || !options.service_account.empty()) {
      return leg_error(leg,
                       "Microsoft Graph takes Microsoft Entra ID tokens: not with "
                       "--oauth-provider google or --oauth-service-account");
    }
    if (options.scope.empty()) {
      options.scope = default_graph_scope(!options.refresh_token_file.empty());
    }
  }
  auto source = make_token_source(options, user);
  if (!source) return leg_error(leg, source.failure().message);
  return *source;
}

}  // namespace mailprobe::plugins
