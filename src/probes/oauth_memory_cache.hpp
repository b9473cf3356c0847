#pragma once
// The daemon's token cache: in memory, one for all its checks (and its email channel), so
// that checks logging in as the same identity share one token. Each key is used by one
// check at a time: a check that finds the key taken waits on a timer of its own executor
// (never blocking the event loop) until the holder is done or its deadline comes, and then
// usually finds the token the holder fetched. Checks of other identities do not wait.
//
// Waiters are woken through their own executor, so the cache may be shared by coroutines
// on several threads as long as each runs on an executor of one thread or on a strand.

#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "probes/oauth_token_cache.hpp"

namespace mailprobe::probes {

class MemoryTokenCache : public TokenCache {
 public:
  MemoryTokenCache();
  boost::asio::awaitable<core::Outcome<std::unique_ptr<TokenCacheHandle>>> open(
      const std::string& key, core::Deadline deadline) override;

  // Identities with a token or a check using their key (for tests).
  std::size_t size() const;

  struct State;  // the tokens, and who holds or waits for each key (oauth_memory_cache.cpp)

 private:
  std::shared_ptr<State> state_;  // shared with the handles, which may outlive the cache
};

}  // namespace mailprobe::probes
