#include "probes/oauth_tokens.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/asio/this_coro.hpp>
#include <cmath>

#include "core/format.hpp"
#include "probes/oauth_file.hpp"
#include "protocol/jwt.hpp"
#include "protocol/oauth_token.hpp"

namespace mailprobe::probes {

namespace {

using Clock = std::chrono::steady_clock;

long long unix_seconds(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

// The refresh token: the file's first line.
core::Outcome<std::string> read_refresh_token(const std::string& file) {
  auto text = protocol::read_small_file(file, std::size_t{64} * 1024, "refresh token file");
  if (!text) return text.failure();
  auto line = text->substr(0, text->find_first_of("\r\n"));
  if (line.empty()) {
    return core::Failure{"token", core::FailureKind::config,
                         "refresh token file " + file + " is empty"};
  }
  return line;
}

// The form that asks for a token, and the URL to send it to, for each kind of identity.
struct PreparedRequest {
  std::string url;
  protocol::FormFields form;
  std::string refresh_token;  // the one spent, when the grant is refresh_token
};

core::Outcome<PreparedRequest> prepare(const OAuthIdentity& identity,
                                       std::chrono::system_clock::time_point now) {
  PreparedRequest request;
  request.url = identity.token_url;
  if (!identity.service_account_file.empty()) {
    auto account = protocol::read_service_account(identity.service_account_file);
    if (!account) return account.failure();
    auto key = protocol::signing_key_from_pem(
        account->private_key, "service account key " + identity.service_account_file);
    if (!key) return key.failure();
    key->key_id = account->private_key_id;
    if (request.url.empty()) request.url = account->token_uri;
    // RFC 7523 section 3: the audience is the token endpoint.
    auto assertion = protocol::service_account_assertion(
        *key, account->client_email, identity.subject, identity.scope, request.url, now);
    if (!assertion) return assertion.failure();
    request.form = protocol::jwt_bearer_form(*assertion);
  } else if (!identity.key_file.empty()) {
    auto key = protocol::load_signing_key(identity.key_file, identity.certificate_file);
    if (!key) return key.failure();
    auto assertion = protocol::client_assertion(*key, identity.client_id, request.url, now,
                                                protocol::random_jwt_id());
    if (!assertion) return assertion.failure();
    request.form = protocol::client_assertion_form(identity.client_id, *assertion, identity.scope);
  } else if (!identity.refresh_token_file.empty()) {
    auto token = read_refresh_token(identity.refresh_token_file);
    if (!token) return token.failure();
    // The server rotates the token: spending it without a way to keep the new one would
    // lock mailprobe out from the next check on.
    auto writable = check_replaceable(identity.refresh_token_file, "refresh token file");
    if (!writable) return writable.failure();
    request.refresh_token = *token;
    request.form = protocol::refresh_token_form(identity.client_id, identity.client_secret, *token,
                                                identity.scope);
  } else {
    request.form =
        protocol::client_secret_form(identity.client_id, identity.client_secret, identity.scope);
  }
  return request;
}

}  // namespace

long long token_reuse_margin(long long lifetime) {
  if (lifetime <= 0) return token_expiry_margin_seconds;
  return std::min(token_expiry_margin_seconds, (lifetime + 3) / 4);
}

bool token_reusable(const CachedToken& token, long long now) {
  return token.expires_at - token_reuse_margin(token.lifetime) > now;
}

TokenSource::TokenSource(OAuthIdentity identity, std::shared_ptr<TokenCache> cache)
    : identity_(std::move(identity)), cache_(std::move(cache)) {}

std::string TokenSource::cache_key() const {
  // A digest, so that the cache file does not list tenants, clients and mailboxes.
  auto material = identity_.token_url + "\n" + identity_.service_account_file + "\n" +
                  identity_.client_id + "\n" + identity_.scope + "\n" + identity_.subject;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(material.data(), material.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return protocol::base64url_encode({reinterpret_cast<const char*>(digest.data()), length});
}

boost::asio::awaitable<core::Outcome<AccessToken>> TokenSource::token(
    core::Deadline deadline, std::vector<std::string>* transcript) {
  co_return co_await get(true, "", deadline, transcript);
}

boost::asio::awaitable<core::Outcome<AccessToken>> TokenSource::renew(
    const AccessToken& refused, core::Deadline deadline, std::vector<std::string>* transcript) {
  co_return co_await get(false, refused.value, deadline, transcript);
}

boost::asio::awaitable<core::Outcome<AccessToken>> TokenSource::get(
    bool use_cached, const std::string& drop, core::Deadline deadline,
    std::vector<std::string>* transcript) {
  auto started = Clock::now();
  auto key = cache_key();
  std::vector<std::string> warnings;
  std::unique_ptr<TokenCacheHandle> handle;
  if (cache_) {
    auto opened = co_await cache_->open(key, deadline);
    if (opened) {
      handle = std::move(*opened);
    } else if (opened.failure().kind == core::FailureKind::timeout) {
      co_return opened.failure();
    } else {
      // A cache that cannot be used costs a token request per check, nothing more.
      warnings.push_back(opened.failure().message);
    }
  }
  if (handle && !drop.empty()) {
    // Only the refused token: another check may have stored a newer one meanwhile.
    if (auto found = handle->find(key); found && found->access_token == drop) {
      if (auto dropped = handle->put(key, std::nullopt); !dropped) {
        warnings.push_back(dropped.failure().message);
      }
    }
  }
  auto now = unix_seconds(std::chrono::system_clock::now());
  if (handle && use_cached) {
    if (auto found = handle->find(key); found && token_reusable(*found, now)) {
      if (transcript != nullptr) {
        transcript->push_back("* OAuth token from the cache, valid for another " +
                              std::to_string(found->expires_at - now) + " s");
      }
      co_return AccessToken{found->access_token, found->expires_at, true, 0, warnings,
                            found->lifetime};
    }
  }
  auto fetched = co_await fetch(deadline, transcript);
  if (!fetched) co_return fetched;
  fetched->seconds = core::seconds(Clock::now() - started);
  fetched->warnings.insert(fetched->warnings.begin(), warnings.begin(), warnings.end());
  if (handle && fetched->expires_at > 0) {
    auto stored =
        handle->put(key, CachedToken{fetched->value, fetched->expires_at, fetched->lifetime});
    if (!stored) fetched->warnings.push_back(stored.failure().message);
  }
  co_return fetched;
}

boost::asio::awaitable<core::Outcome<AccessToken>> TokenSource::fetch(
    core::Deadline deadline, std::vector<std::string>* transcript) {
  auto now = std::chrono::system_clock::now();
  auto request = prepare(identity_, now);
  if (!request) co_return request.failure();
  auto executor = co_await boost::asio::this_coro::executor;
  // Named, not a braced temporary: GCC 12 destroys those inside a co_await twice.
  protocol::TokenEndpoint endpoint{request->url, identity_.tls, identity_.trust_hint};
  auto answer =
      co_await protocol::request_token(executor, endpoint, request->form, deadline, transcript);
  if (!answer) co_return answer.failure();
  AccessToken token;
  token.value = answer->access_token;
  if (answer->expires_in && *answer->expires_in > 0) {
    token.expires_at = unix_seconds(now) + *answer->expires_in;
    token.lifetime = *answer->expires_in;
  }
  if (!request->refresh_token.empty() && !answer->refresh_token.empty() &&
      answer->refresh_token != request->refresh_token) {
    // RFC 6749 section 6 / OAuth 2.0 Security BCP 4.14: the old token is dead now.
    auto saved = replace_file(identity_.refresh_token_file, answer->refresh_token + "\n", 0600,
                              ModeOf::existing);
    if (!saved) {
      token.warnings.push_back("the new refresh token was not saved (" + saved.failure().message +
                               "): the next check will be refused");
    }
  }
  co_return token;
}

namespace {
void report(const AccessToken& token, core::ProbeResult& result) {
  for (const auto& warning : token.warnings)
    result.subchecks.push_back({core::State::warning, "OAuth: " + warning, {}});
}
}  // namespace

boost::asio::awaitable<core::Outcome<AccessToken>> obtain_login_token(
    TokenSource& source, protocol::Credentials& credentials, core::ProbeResult& result,
    core::Deadline deadline, bool transcript, std::string phase) {
  auto token = co_await source.token(deadline, transcript ? &result.transcript : nullptr);
  if (!token) co_return token;
  result.add_timing(phase, token->seconds);
  result.metrics.push_back({phase, std::round(token->seconds * 1e6) / 1e6, "s", std::nullopt,
                            std::nullopt, 0.0, std::nullopt});
  report(*token, result);
  credentials.secret = token->value;
  credentials.token = true;
  co_return token;
}

boost::asio::awaitable<core::Outcome<AccessToken>> renew_login_token(
    TokenSource& source, const AccessToken& refused, protocol::Credentials& credentials,
    core::ProbeResult& result, core::Deadline deadline, bool transcript, std::string phase) {
  if (transcript) result.transcript.push_back("* the cached OAuth token was refused: a new one");
  auto token = co_await source.renew(refused, deadline, transcript ? &result.transcript : nullptr);
  if (!token) co_return token;
  for (auto& timing : result.timings) {
    if (timing.phase == phase) timing.seconds += token->seconds;
  }
  for (auto& metric : result.metrics) {
    if (metric.name == phase)
      metric.value = std::round((metric.value + token->seconds) * 1e6) / 1e6;
  }
  report(*token, result);
  credentials.secret = token->value;
  co_return token;
}

std::string default_token_url(OAuthProvider provider, const std::string& tenant) {
  switch (provider) {
    case OAuthProvider::microsoft:
      return "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token";
    case OAuthProvider::google:
      return "https://oauth2.googleapis.com/token";
    case OAuthProvider::generic:
      break;
  }
  return "";
}

std::string default_scope(OAuthProvider provider, bool delegated) {
  switch (provider) {
    case OAuthProvider::microsoft:
      // The app's own permissions (IMAP.AccessAsApp, ...) come with ".default"; a user's
      // delegated ones are named, and offline_access keeps the refresh token coming.
      return delegated ? "https://outlook.office.com/IMAP.AccessAsUser.All "
                         "https://outlook.office.com/POP.AccessAsUser.All "
                         "https://outlook.office.com/SMTP.Send offline_access"
                       : "https://outlook.office365.com/.default";
    case OAuthProvider::google:
      return "https://mail.google.com/";
    case OAuthProvider::generic:
      break;
  }
  return "";
}

}  // namespace mailprobe::probes
