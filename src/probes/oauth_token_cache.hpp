#pragma once
// Where OAuth 2.0 access tokens are kept between checks, so that a plugin run every minute
// asks the token endpoint about once an hour: a file for plugins (one process per check),
// and, behind the same interface, memory for the daemon.
//
// Using the cache is exclusive: whoever opens it holds it until the handle goes, while it
// looks a token up, fetches a new one and stores it. Two checks that start together thus
// fetch once, and never both spend the same refresh token (the server rotates it: the
// loser's would be refused from then on).

#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/deadline.hpp"
#include "core/outcome.hpp"

namespace mailprobe::probes {

struct CachedToken {
  std::string access_token;
  long long expires_at = 0;  // Unix seconds
  long long lifetime = 0;    // seconds it was issued for (expires_in); 0: not known
};

class TokenCacheHandle {
 public:
  virtual ~TokenCacheHandle() = default;
  virtual std::optional<CachedToken> find(const std::string& key) const = 0;
  // Stores (or, with nullopt, drops) the token of `key`, durably before returning.
  virtual core::Status put(const std::string& key, const std::optional<CachedToken>& token) = 0;
};

class TokenCache {
 public:
  virtual ~TokenCache() = default;
  // Waits (within the deadline) until no one else uses the cache for `key` (the file
  // cache: for any key).
  virtual boost::asio::awaitable<core::Outcome<std::unique_ptr<TokenCacheHandle>>> open(
      const std::string& key, core::Deadline deadline) = 0;
};

// The cache file of the plugins: JSON, mode 0600 in a directory of mode 0700, replaced
// whole (a temporary file renamed over it, so that a reader never sees half of it), shared
// between processes under an flock(2) on "FILE.lock". Expired entries are dropped when it
// is written. An unreadable or malformed file is taken as empty (and then replaced): a
// cache must never fail a check. An entry without "lifetime" (from an older mailprobe) is
// read as of unknown lifetime.
class FileTokenCache : public TokenCache {
 public:
  explicit FileTokenCache(std::string path) : path_(std::move(path)) {}
  boost::asio::awaitable<core::Outcome<std::unique_ptr<TokenCacheHandle>>> open(
      const std::string& key, core::Deadline deadline) override;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The entries of a cache file's text; malformed text and entries are skipped.
std::map<std::string, CachedToken> parse_token_cache(std::string_view text);
// The text of a cache file with `entries`, those expired before `now` (Unix seconds) left out.
std::string serialize_token_cache(const std::map<std::string, CachedToken>& entries, long long now);

}  // namespace mailprobe::probes
