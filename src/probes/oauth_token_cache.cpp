#include "probes/oauth_token_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "probes/oauth_file.hpp"

namespace mailprobe::probes {

namespace json = boost::json;

namespace {

constexpr std::size_t max_cache_bytes = std::size_t{1} << 20;
// Far more identities than one machine monitors; a file beyond it is not grown further.
constexpr std::size_t max_entries = 1000;

core::Failure cache_failure(const std::string& message) {
  return {"token", core::FailureKind::config, message};
}

long long unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class FileHandle : public TokenCacheHandle {
 public:
  FileHandle(std::string path, int lock_fd, std::map<std::string, CachedToken> entries)
      : path_(std::move(path)), lock_fd_(lock_fd), entries_(std::move(entries)) {}
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  // Closing the descriptor releases the flock.
  ~FileHandle() override { ::close(lock_fd_); }

  std::optional<CachedToken> find(const std::string& key) const override {
    auto found = entries_.find(key);
    if (found == entries_.end()) return std::nullopt;
    return found->second;
  }

  core::Status put(const std::string& key, const std::optional<CachedToken>& token) override {
    if (token) {
      if (entries_.size() >= max_entries && !entries_.contains(key)) return core::success();
      entries_[key] = *token;
    } else if (entries_.erase(key) == 0) {
      return core::success();
    }
    return replace_file(path_, serialize_token_cache(entries_, unix_now()), 0600, ModeOf::given);
  }

 private:
  std::string path_;
  int lock_fd_;
  std::map<std::string, CachedToken> entries_;
};

std::string read_cache_text(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return "";
  std::string text(max_cache_bytes + 1, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    auto got = ::read(fd, text.data() + size, text.size() - size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    size += static_cast<std::size_t>(got);
  }
  ::close(fd);
  if (size > max_cache_bytes) return "";  // not a cache mailprobe wrote: start afresh
  text.resize(size);
  return text;
}

}  // namespace

std::map<std::string, CachedToken> parse_token_cache(std::string_view text) {
  std::map<std::string, CachedToken> entries;
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) return entries;
  const auto* tokens = value.get_object().if_contains("tokens");
  if (tokens == nullptr || !tokens->is_object()) return entries;
  for (const auto& [key, entry] : tokens->get_object()) {
    if (!entry.is_object()) continue;
    const auto* token = entry.get_object().if_contains("access_token");
    const auto* expires = entry.get_object().if_contains("expires_at");
    if (token == nullptr || !token->is_string() || expires == nullptr || !expires->is_int64()) {
      continue;
    }
    CachedToken cached{std::string(token->get_string()), expires->get_int64()};
    const auto* lifetime = entry.get_object().if_contains("lifetime");
    if (lifetime != nullptr && lifetime->is_int64() && lifetime->get_int64() > 0) {
      cached.lifetime = lifetime->get_int64();
    }
    entries[std::string(key)] = std::move(cached);
    if (entries.size() >= max_entries) break;
  }
  return entries;
}

std::string serialize_token_cache(const std::map<std::string, CachedToken>& entries,
                                  long long now) {
  json::object tokens;
  for (const auto& [key, token] : entries) {
    if (token.expires_at <= now) continue;
    json::object entry;
    entry["access_token"] = token.access_token;
    entry["expires_at"] = token.expires_at;
    if (token.lifetime > 0) entry["lifetime"] = token.lifetime;
    tokens[key] = std::move(entry);
  }
  json::object file;
  file["version"] = 1;
  file["tokens"] = std::move(tokens);
  return json::serialize(file) + "\n";
}

boost::asio::awaitable<core::Outcome<std::unique_ptr<TokenCacheHandle>>> FileTokenCache::open(
    const std::string& /*key*/, core::Deadline deadline) {
  std::error_code ec;
  auto directory = std::filesystem::path(path_).parent_path();
  if (!directory.empty() && !std::filesystem::exists(directory, ec)) {
    // The state directory holds tokens: its owner's alone.
    std::filesystem::create_directories(directory, ec);
    if (!ec) ::chmod(directory.c_str(), 0700);
  }
  auto lock_path = path_ + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    co_return cache_failure("cannot open the token cache lock " + lock_path + ": " +
                            std::strerror(errno) + " (--oauth-cache names another file)");
  }
  // Another check holds the cache while it fetches a token: wait for it, a little at a
  // time so that the event loop (the daemon's) goes on meanwhile.
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      auto message = "cannot lock the token cache " + lock_path;
      message += ": ";
      message += std::strerror(errno);
      ::close(fd);
      co_return cache_failure(message);
    }
    if (deadline.expired()) {
      ::close(fd);
      co_return core::Failure{
          "token", core::FailureKind::timeout,
          "timeout waiting for the token cache " + path_ + ", which another check holds"};
    }
    timer.expires_after(std::min<core::Deadline::clock::duration>(std::chrono::milliseconds(20),
                                                                  deadline.remaining()));
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  auto entries = parse_token_cache(read_cache_text(path_));
  co_return std::unique_ptr<TokenCacheHandle>(
      std::make_unique<FileHandle>(path_, fd, std::move(entries)));
}

}  // namespace mailprobe::probes
