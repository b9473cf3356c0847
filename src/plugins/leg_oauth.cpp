#include "plugins/leg_oauth.hpp"

namespace mailprobe::plugins {

namespace {

using Field = std::string OAuthOptions::*;

// What proves who the application is: taken from one place, never mixed.
constexpr Field credential_fields[] = {
    &OAuthOptions::client_secret_file, &OAuthOptions::client_secret_env,
    &OAuthOptions::certificate,        &OAuthOptions::key,
    &OAuthOptions::refresh_token_file, &OAuthOptions::service_account};

// The rest: each from the leg when it has it.
constexpr Field single_fields[] = {&OAuthOptions::provider,  &OAuthOptions::tenant,
                                   &OAuthOptions::token_url, &OAuthOptions::client_id,
                                   &OAuthOptions::scope,     &OAuthOptions::ca_file,
                                   &OAuthOptions::cache};

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
  OAuthOptions merged = shared;
  for (auto field : single_fields) {
    if (!(own.*field).empty()) merged.*field = own.*field;
  }
  bool own_credential = false;
  for (auto field : credential_fields)
    own_credential = own_credential || !(own.*field).empty();
  if (own_credential) {
    for (auto field : credential_fields)
      merged.*field = own.*field;
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
