#include "plugins/oauth_options.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "plugins/plugin_options.hpp"
#include "protocol/http_client.hpp"

namespace mailprobe::plugins {

namespace {

core::Failure option_error(std::string message) {
  return {"options", core::FailureKind::config, std::move(message)};
}

}  // namespace

std::span<const OAuthSetting> oauth_settings() {
  using O = OAuthOptions;
  static constexpr OAuthSetting settings[] = {
      {"provider", &O::provider,
       "Log in with an OAuth 2.0 token mailprobe gets itself: microsoft, google or generic "
       "(default: from the other --oauth options)"},
      {"tenant", &O::tenant,
       "Microsoft Entra ID tenant (directory ID or domain) of the token endpoint"},
      {"token-url", &O::token_url, "Token endpoint (https://); default: the provider's"},
      {"client-id", &O::client_id, "The application's client ID"},
      {"client-secret-file", &O::client_secret_file, "File whose first line is the client secret",
       true},
      {"client-secret-env", &O::client_secret_env,
       "Environment variable that holds the client secret", true},
      {"certificate", &O::certificate,
       "PEM certificate of the application's certificate credential (client assertion)", true},
      {"key", &O::key,
       "PEM private key of that certificate (default: in the --oauth-certificate file)", true},
      {"refresh-token-file", &O::refresh_token_file,
       "File with a delegated refresh token; the rotated one is written back to it", true},
      {"service-account", &O::service_account,
       "Google service account JSON key (domain-wide delegation to the mailbox that logs in)",
       true},
      {"scope", &O::scope, "Scopes to ask for (default: the provider's for mail)"},
      {"ca-file", &O::ca_file,
       "PEM file of CAs trusted for the token endpoint (default: the system's; --ca-file "
       "is the mail server's)"},
      {"cache", &O::cache, "Token cache file (default: oauth-tokens.json in the state directory)"},
  };
  return settings;
}

bool OAuthOptions::given() const {
  return std::ranges::any_of(oauth_settings(),
                             [this](const OAuthSetting& s) { return !(this->*s.value).empty(); });
}

void add_oauth_options(OptionParser& app, OAuthOptions& options, const std::string& leg,
                       const std::string& leg_help) {
  for (const auto& setting : oauth_settings()) {
    std::string name = "--oauth-";
    name += setting.name;
    if (leg.empty()) {
      app.value(name, options.*setting.value, std::string(setting.help));
    } else {
      // A leg's option is --LEG-oauth-X, "--oauth-X for the sending leg".
      std::string leg_name = "--" + leg;
      leg_name += name.substr(1);  // "--smtp" + "-oauth-X"
      std::string help = name;
      help.append(" for ").append(leg_help);
      app.value(leg_name, options.*setting.value, std::move(help));
    }
  }
}

std::string default_state_directory() {
  if (const char* dir = std::getenv("STATE_DIRECTORY"); dir != nullptr && *dir != '\0') return dir;
  if (::geteuid() == 0) return "/var/lib/mailprobe";
  if (const char* dir = std::getenv("XDG_STATE_HOME"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/mailprobe";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "/tmp") + "/.local/state/mailprobe";
}

namespace {

std::shared_ptr<probes::TokenCache>& shared_cache() {
  static std::shared_ptr<probes::TokenCache> cache;
  return cache;
}

// A setting's name in messages: "--oauth-client-id" on a command line, "client_id" in the
// daemon's YAML (whose messages name the block: "notifications.email.oauth: ...").
class Names {
 public:
  explicit Names(OAuthSpelling spelling) : spelling_(spelling) {}
  std::string operator()(std::string_view option) const {
    if (spelling_ == OAuthSpelling::option) return "--oauth-" + std::string(option);
    std::string key(option);
    std::replace(key.begin(), key.end(), '-', '_');
    return key;
  }
  std::string all() const { return spelling_ == OAuthSpelling::option ? "--oauth-*" : "oauth"; }
  std::string user() const { return spelling_ == OAuthSpelling::option ? "--user" : "user"; }
  bool yaml() const { return spelling_ == OAuthSpelling::yaml; }

 private:
  OAuthSpelling spelling_;
};

}  // namespace

void share_token_cache(std::shared_ptr<probes::TokenCache> cache) {
  shared_cache() = std::move(cache);
}

core::Outcome<std::shared_ptr<probes::TokenSource>> make_token_source(const OAuthOptions& options,
                                                                      const std::string& user,
                                                                      OAuthSpelling spelling) {
  using probes::OAuthProvider;
  Names name(spelling);
  if (user.empty()) {
    return option_error(name.all() + " needs " + name.user() + ": the mailbox to log in as");
  }
  bool secret = !options.client_secret_file.empty() || !options.client_secret_env.empty();
  bool certificate = !options.certificate.empty();
  bool refresh = !options.refresh_token_file.empty();
  bool account = !options.service_account.empty();
  if (!options.client_secret_file.empty() && !options.client_secret_env.empty()) {
    return option_error("give " + name("client-secret-file") + " or " + name("client-secret-env") +
                        ", not both");
  }
  if (!options.key.empty() && !certificate) {
    return option_error(name("key") + " needs " + name("certificate"));
  }
  // A client secret may come with a refresh token (a confidential client); every other
  // credential stands alone.
  int kinds =
      (certificate ? 1 : 0) + (refresh ? 1 : 0) + (account ? 1 : 0) + (secret && !refresh ? 1 : 0);
  if (kinds == 0) {
    return option_error("OAuth needs a credential: " + name("client-secret-file") + ", " +
                        name("certificate") + ", " + name("refresh-token-file") + " or " +
                        name("service-account"));
  }
  if (kinds > 1) {
    return option_error("give only one of " + name("client-secret-file") + ", " +
                        name("certificate") + ", " + name("refresh-token-file") +
                        " (with or without a client secret) and " + name("service-account"));
  }

  probes::OAuthIdentity identity;
  if (options.provider == "microsoft") {
    identity.provider = OAuthProvider::microsoft;
  } else if (options.provider == "google") {
    identity.provider = OAuthProvider::google;
  } else if (options.provider == "generic") {
    identity.provider = OAuthProvider::generic;
  } else if (!options.provider.empty()) {
    return option_error(name("provider") + " '" + options.provider +
                        "': use microsoft, google or generic");
  } else {
    identity.provider = !options.tenant.empty() ? OAuthProvider::microsoft
                        : account               ? OAuthProvider::google
                                                : OAuthProvider::generic;
  }
  auto provider = identity.provider;
  if (!options.tenant.empty() && provider != OAuthProvider::microsoft) {
    return option_error(name("tenant") + " is Microsoft Entra ID's: not with " + name("provider") +
                        " " + options.provider);
  }
  if (!options.tenant.empty() && !options.token_url.empty()) {
    return option_error("give " + name("tenant") + " or " + name("token-url") + ", not both");
  }
  if (account && provider == OAuthProvider::microsoft) {
    return option_error(name("service-account") + " is a Google service account key: not with " +
                        name("provider") + " microsoft");
  }
  if (account && !options.client_id.empty()) {
    return option_error(name("client-id") + " is not used with " + name("service-account") +
                        " (the key names the account)");
  }
  if (!account && options.client_id.empty()) {
    return option_error(name("client-id") + " is required: the application's client ID");
  }

  identity.token_url = options.token_url;
  if (identity.token_url.empty()) {
    if (provider == OAuthProvider::microsoft) {
      if (options.tenant.empty()) {
        return option_error(name("provider") + " microsoft needs " + name("tenant") +
                            " (the directory ID or domain) or " + name("token-url"));
      }
      identity.token_url = probes::default_token_url(provider, options.tenant);
    } else if (provider == OAuthProvider::google && !account) {
      identity.token_url = probes::default_token_url(provider, "");
    } else if (!account) {
      return option_error(name("token-url") + " is required with " + name("provider") + " generic");
    }
    // A service account's token endpoint is its key file's token_uri.
  }
  if (!identity.token_url.empty()) {
    auto url = protocol::parse_http_url(identity.token_url);
    if (!url) return option_error(name("token-url") + " " + url.failure().message);
    // RFC 6749 section 3.2: the token endpoint is reached over TLS.
    if (!url->tls) {
      return option_error(name("token-url") + " '" + protocol::url_for_logs(identity.token_url) +
                          "': the token endpoint must be https://");
    }
  }

  identity.client_id = options.client_id;
  identity.scope = options.scope.empty() ? probes::default_scope(provider, refresh) : options.scope;
  if (identity.scope.empty() && account) {
    return option_error(name("service-account") + " needs " + name("scope") + " with " +
                        name("provider") + " generic");
  }
  if (secret) {
    auto value =
        secret_from(options.client_secret_file, options.client_secret_env, name("client-id"));
    if (!value) {
      if (!name.yaml()) return value.failure();
      auto key = options.client_secret_file.empty() ? "client-secret-env" : "client-secret-file";
      return option_error(name(key) + ": " + value.failure().message);
    }
    identity.client_secret = *value;
  }
  identity.certificate_file = options.certificate;
  identity.key_file = options.key.empty() ? options.certificate : options.key;
  if (!certificate) identity.key_file.clear();
  identity.refresh_token_file = options.refresh_token_file;
  identity.service_account_file = options.service_account;
  identity.subject = user;
  // The token endpoint is always verified: the client's secret goes to it. Its trust is
  // its own, since the mail server's --ca-file is often a private CA.
  auto tls = net::TlsClientContext::create({true, options.ca_file, false});
  if (!tls) return option_error(name("ca-file") + ": " + tls.failure().message);
  identity.tls = *tls;
  identity.trust_hint =
      "(trust it with " + (name.yaml() ? "oauth." + name("ca-file") : name("ca-file")) + ")";
  if (auto cache = shared_cache()) {
    if (!options.cache.empty()) {
      return option_error(name("cache") +
                          " is for plugins: the daemon keeps its tokens in memory, shared by "
                          "its checks");
    }
    return std::make_shared<probes::TokenSource>(std::move(identity), cache);
  }
  auto cache_file =
      options.cache.empty() ? default_state_directory() + "/oauth-tokens.json" : options.cache;
  return std::make_shared<probes::TokenSource>(
      std::move(identity), std::make_shared<probes::FileTokenCache>(cache_file));
}

}  // namespace mailprobe::plugins
