#include "probes/oauth_memory_cache.hpp"

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace mailprobe::probes {

namespace asio = boost::asio;

namespace {

// Far more identities than one daemon monitors; beyond it, tokens are not kept.
constexpr std::size_t max_entries = 1000;

long long unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;  // until the deadline, or cancelled when the key is handed over
  bool granted = false;      // the key is this waiter's now (under State::mutex)
};

}  // namespace

struct MemoryTokenCache::State {
  struct Slot {
    bool held = false;
    std::deque<std::shared_ptr<Waiter>> waiting;  // in order of arrival
  };
  mutable std::mutex mutex;
  std::map<std::string, CachedToken> tokens;
  std::map<std::string, Slot> slots;  // keys in use

  // The holder of `key` is done: the first waiter gets it, else it is free.
  void release(const std::string& key) {
    std::shared_ptr<Waiter> next;
    {
      std::lock_guard lock(mutex);
      auto slot = slots.find(key);
      if (slot == slots.end()) return;
      if (slot->second.waiting.empty()) {
        slots.erase(slot);
        return;
      }
      next = std::move(slot->second.waiting.front());
      slot->second.waiting.pop_front();
      next->granted = true;
    }
    // Woken on its own executor, where its coroutine uses the timer. Weakly: a waiter whose
    // coroutine is gone (the daemon stopping) is not kept alive by the wake-up.
    std::weak_ptr<Waiter> weak = next;
    asio::post(next->timer.get_executor(), [weak] {
      if (auto waiter = weak.lock()) waiter->timer.cancel();
    });
  }
};

namespace {

class MemoryHandle : public TokenCacheHandle {
 public:
  MemoryHandle(std::shared_ptr<MemoryTokenCache::State> state, std::string key)
      : state_(std::move(state)), key_(std::move(key)) {}
  MemoryHandle(const MemoryHandle&) = delete;
  MemoryHandle& operator=(const MemoryHandle&) = delete;
  ~MemoryHandle() override { state_->release(key_); }

  std::optional<CachedToken> find(const std::string& key) const override {
    std::lock_guard lock(state_->mutex);
    auto found = state_->tokens.find(key);
    if (found == state_->tokens.end()) return std::nullopt;
    return found->second;
  }

  core::Status put(const std::string& key, const std::optional<CachedToken>& token) override {
    std::lock_guard lock(state_->mutex);
    auto& tokens = state_->tokens;
    if (!token) {
      tokens.erase(key);
      return core::success();
    }
    if (tokens.size() >= max_entries && !tokens.contains(key)) {
      auto now = unix_now();
      std::erase_if(tokens, [now](const auto& entry) { return entry.second.expires_at <= now; });
      if (tokens.size() >= max_entries) return core::success();
    }
    tokens[key] = *token;
    return core::success();
  }

 private:
  std::shared_ptr<MemoryTokenCache::State> state_;
  std::string key_;
};

// A place in the queue of a key. Left without the key (the deadline came, or the coroutine
// was destroyed): out of the queue; given the key but not taking it: passed on.
struct Queued {
  std::shared_ptr<MemoryTokenCache::State> state;
  std::string key;
  std::shared_ptr<Waiter> waiter;
  bool taken = false;

  Queued(std::shared_ptr<MemoryTokenCache::State> state_in, std::string key_in,
         std::shared_ptr<Waiter> waiter_in)
      : state(std::move(state_in)), key(std::move(key_in)), waiter(std::move(waiter_in)) {}
  Queued(const Queued&) = delete;
  Queued& operator=(const Queued&) = delete;
  ~Queued() {
    if (taken) return;
    bool granted = false;
    {
      std::lock_guard lock(state->mutex);
      granted = waiter->granted;
      if (!granted) {
        auto slot = state->slots.find(key);
        if (slot != state->slots.end()) std::erase(slot->second.waiting, waiter);
      }
    }
    if (granted) state->release(key);
  }
};

}  // namespace

MemoryTokenCache::MemoryTokenCache() : state_(std::make_shared<State>()) {}

std::size_t MemoryTokenCache::size() const {
  std::lock_guard lock(state_->mutex);
  auto keys = state_->tokens.size();
  for (const auto& [key, slot] : state_->slots) {
    if (!state_->tokens.contains(key)) ++keys;
  }
  return keys;
}

asio::awaitable<core::Outcome<std::unique_ptr<TokenCacheHandle>>> MemoryTokenCache::open(
    const std::string& key, core::Deadline deadline) {
  auto executor = co_await asio::this_coro::executor;
  Queued queued(state_, key, std::make_shared<Waiter>(executor));
  bool granted = false;
  {
    std::lock_guard lock(state_->mutex);
    auto& slot = state_->slots[key];
    if (!slot.held) {
      slot.held = true;
      queued.waiter->granted = granted = true;
    } else {
      slot.waiting.push_back(queued.waiter);
    }
  }
  if (!granted) {
    queued.waiter->timer.expires_at(deadline.at());
    co_await queued.waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    std::lock_guard lock(state_->mutex);
    granted = queued.waiter->granted;
  }
  if (!granted) {
    co_return core::Failure{
        "token", core::FailureKind::timeout,
        "timeout waiting for the OAuth token that another check of the same identity is getting"};
  }
  queued.taken = true;
  co_return std::unique_ptr<TokenCacheHandle>(std::make_unique<MemoryHandle>(state_, key));
}

}  // namespace mailprobe::probes
