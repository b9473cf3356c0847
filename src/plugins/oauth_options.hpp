#pragma once
// The --oauth-* options of the login-capable plugins: mailprobe gets (and renews) its own
// OAuth 2.0 access token and logs in with OAUTHBEARER or XOAUTH2. Secrets come from files
// or the environment only, never from the command line.

#include <memory>
#include <string>

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

void add_oauth_options(OptionParser& app, OAuthOptions& options);

// The token source for a login as `user`, or the option error (conflicts, missing pieces,
// unreadable secret): "--oauth-certificate needs --oauth-client-id".
core::Outcome<std::shared_ptr<probes::TokenSource>> make_token_source(const OAuthOptions& options,
                                                                      const std::string& user);

// Where plugins keep what outlives a run: $STATE_DIRECTORY (systemd), /var/lib/mailprobe for
// root, else $XDG_STATE_HOME/mailprobe or ~/.local/state/mailprobe.
std::string default_state_directory();

}  // namespace mailprobe::plugins
