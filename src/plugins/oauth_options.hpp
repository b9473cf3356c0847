#pragma once
// The --oauth-* options of the login-capable plugins: mailprobe gets (and renews) its own
// OAuth 2.0 access token and logs in with OAUTHBEARER or XOAUTH2. Secrets come from files
// or the environment only, never from the command line.

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/outcome.hpp"
#include "plugins/option_parser.hpp"
#include "probes/oauth_tokens.hpp"

namespace mailprobe::plugins {

struct OAuthOptions {
  std::string provider;  // microsoft, google, generic; empty: inferred
  std::string tenant;
  std::string token_url;
  std::string client_id;
  std::string client_secret_file;
  std::string client_secret_env;
  std::string certificate;
  std::string key;
  std::string refresh_token_file;
  std::string service_account;
  std::string scope;
  std::string ca_file;
  std::string cache;  // default: oauth-tokens.json in the state directory

  bool given() const;
};

// One setting of OAuthOptions, as every place that lists them uses it: the option
// --oauth-NAME (--LEG-oauth-NAME for one leg), the YAML key NAME with '_' for '-', its
// help, and whether it proves who the application is (a leg takes those from one place).
struct OAuthSetting {
  std::string_view name;
  std::string OAuthOptions::*value;
  std::string_view help;
  bool credential = false;
};
std::span<const OAuthSetting> oauth_settings();

// Registers --oauth-*; with `leg` ("smtp", "receive") --LEG-oauth-* instead, one leg's own
// values (plugins/leg_oauth.hpp), their help "--oauth-X for `leg_help`".
void add_oauth_options(OptionParser& app, OAuthOptions& options, const std::string& leg = "",
                       const std::string& leg_help = "");

// How make_token_source names the settings in its errors: as the plugins' options
// ("--oauth-key needs --oauth-certificate"), or as the keys of an `oauth:` block of the
// daemon's YAML ("key needs certificate").
enum class OAuthSpelling { option, yaml };

// The token source for a login as `user`, or the option error (conflicts, missing pieces,
// unreadable secret): "--oauth-key needs --oauth-certificate".
core::Outcome<std::shared_ptr<probes::TokenSource>> make_token_source(
    const OAuthOptions& options, const std::string& user,
    OAuthSpelling spelling = OAuthSpelling::option);

// The daemon's: every token source made from then on keeps its tokens in `cache` (memory,
// shared by all checks) instead of a cache file, and --oauth-cache is refused. Set once at
// the start, before the configuration is loaded; null gives the plugins' cache file back.
void share_token_cache(std::shared_ptr<probes::TokenCache> cache);

// Where plugins keep what outlives a run: $STATE_DIRECTORY (systemd), /var/lib/mailprobe for
// root, else $XDG_STATE_HOME/mailprobe or ~/.local/state/mailprobe.
std::string default_state_directory();

}  // namespace mailprobe::plugins
