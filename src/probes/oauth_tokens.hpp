#pragma once
// The token source of a login with OAuth 2.0: who mailprobe is to the authorization
// server (a client secret, a certificate, a refresh token or a Google service account),
// and the access token that proves it, taken from the cache until shortly before it expires
// (token_reusable), else fetched from the token endpoint (and cached). A token the mail server
// refuses is dropped and fetched once more (renew()), since a cached one may have been revoked.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"
#include "core/result.hpp"
#include "net/tls_context.hpp"
#include "probes/oauth_token_cache.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::probes {

enum class OAuthProvider { microsoft, google, generic };

// How mailprobe authenticates to the token endpoint: exactly one of client_secret,
// key_file (with certificate_file), refresh_token_file and service_account_file is set
// (client_secret may come with a refresh token: a confidential client).
struct OAuthIdentity {
  OAuthProvider provider = OAuthProvider::generic;
  std::string token_url;  // empty: the service account key's token_uri
  std::string client_id;
  std::string scope;  // space-separated
  std::string client_secret;
  std::string certificate_file;  // Entra ID certificate credential (x5t, x5t#S256)
  std::string key_file;
  std::string refresh_token_file;  // read each time; a rotated token is written back
  std::string service_account_file;
  std::string subject;  // the mailbox: a service account acts for it; part of the cache key
  std::shared_ptr<net::TlsClientContext> tls;  // trust for the token endpoint
  // How that trust is named where the identity was configured, for a certificate failure.
  std::string trust_hint = "(trust it with --oauth-ca-file)";
};

struct AccessToken {
  std::string value;
  long long expires_at = 0;  // Unix seconds; 0: unknown (not cached)
  bool cached = false;
  double seconds = 0;  // how long getting it took (0 for a cached one)
  // Problems that did not keep the token from working, for a WARNING in the output
  // (the rotated refresh token could not be saved, the cache could not be written).
  std::vector<std::string> warnings;
  long long lifetime = 0;  // seconds it was issued for (expires_in); 0: not known
};

// A token is reused until this long before it expires, so that it outlives the check's
// login: a minute, or a quarter of its lifetime (rounded up) when that is less, so that a
// short-lived token (10 s) is still reused for most of its life and renewed ahead of its
// end. A token of unknown lifetime keeps the full minute.
constexpr long long token_expiry_margin_seconds = 60;
long long token_reuse_margin(long long lifetime);
// Whether a cached token may serve a login at `now` (Unix seconds).
bool token_reusable(const CachedToken& token, long long now);

class TokenSource {
 public:
  // `cache` may be null: every check fetches a token.
  TokenSource(OAuthIdentity identity, std::shared_ptr<TokenCache> cache);

  // A valid access token. Failures are of phase "token": config (a key, file or cache
  // problem: UNKNOWN), rejected (the endpoint refused: CRITICAL), or the network's.
  boost::asio::awaitable<core::Outcome<AccessToken>> token(
      core::Deadline deadline, std::vector<std::string>* transcript = nullptr);
  // The mail server refused `refused` at login: it leaves the cache and a new token is
  // fetched (the login is tried once more with it).
  boost::asio::awaitable<core::Outcome<AccessToken>> renew(
      const AccessToken& refused, core::Deadline deadline,
      std::vector<std::string>* transcript = nullptr);

  const OAuthIdentity& identity() const { return identity_; }
  // What the cache knows this identity by: a digest of token URL, client, scope and subject.
  std::string cache_key() const;

 private:
  boost::asio::awaitable<core::Outcome<AccessToken>> fetch(core::Deadline deadline,
                                                           std::vector<std::string>* transcript);
  boost::asio::awaitable<core::Outcome<AccessToken>> get(bool use_cached, const std::string& drop,
                                                         core::Deadline deadline,
                                                         std::vector<std::string>* transcript);

  OAuthIdentity identity_;
  std::shared_ptr<TokenCache> cache_;
};

// For the probes' logins: puts a token of `source` into `credentials`, times the phase
// `phase` in `result` (perfdata token=, 0 for a cached token) and reports warnings as
// WARNING subchecks. On failure nothing is recorded: the probe fails with it. A check with
// two logins (the round trip's legs) names their phases apart: send_token, receive_token.
boost::asio::awaitable<core::Outcome<AccessToken>> obtain_login_token(
    TokenSource& source, protocol::Credentials& credentials, core::ProbeResult& result,
    core::Deadline deadline, bool transcript, std::string phase = "token");
// After the mail server refused `refused`: a new token into `credentials`, its time added to
// the phase `phase`.
boost::asio::awaitable<core::Outcome<AccessToken>> renew_login_token(
    TokenSource& source, const AccessToken& refused, protocol::Credentials& credentials,
    core::ProbeResult& result, core::Deadline deadline, bool transcript,
    std::string phase = "token");

// The token endpoint of a provider: Microsoft's of `tenant`, Google's; "" for generic.
std::string default_token_url(OAuthProvider provider, const std::string& tenant);
// The scope asked for when --oauth-scope is not given: what mail logins need.
std::string default_scope(OAuthProvider provider, bool delegated);

}  // namespace mailprobe::probes
