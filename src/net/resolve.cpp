#include "net/resolve.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/ascii.hpp"
#include "core/format.hpp"

namespace mailprobe::net {

namespace {

// The waiting side, owned by the probe's coroutine alone: the lookup thread must never
// own an Asio object, because it may outlive the io_context.
struct Lookup {
  explicit Lookup(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;  // expires at the deadline; cancelled when the answer is in
  bool done = false;
  int gai_error = 0;
  std::vector<tcp::endpoint> endpoints;
};

// What the lookup thread shares with the probe: whether anyone still wants the answer.
struct Gate {
  explicit Gate(asio::any_io_executor e) : executor(std::move(e)) {}
  std::mutex mutex;
  bool closed = false;  // guarded by mutex: the probe stopped waiting, do not post
  asio::any_io_executor executor;
};

int address_family(AddressFamily family) {
  switch (family) {
    case AddressFamily::ipv4:
      return AF_INET;
    case AddressFamily::ipv6:
      return AF_INET6;
    case AddressFamily::any:
      return AF_UNSPEC;
  }
  return AF_UNSPEC;
}

std::vector<tcp::endpoint> lookup_blocking(const std::string& host, std::uint16_t port, int family,
                                           int& gai_error) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  gai_error = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  std::vector<tcp::endpoint> endpoints;
  if (gai_error != 0) return endpoints;
  for (auto* ai = list; ai != nullptr; ai = ai->ai_next) {
    tcp::endpoint endpoint;
    if (ai->ai_addrlen > endpoint.capacity()) continue;
    std::memcpy(endpoint.data(), ai->ai_addr, ai->ai_addrlen);
    endpoint.port(port);
    if (std::find(endpoints.begin(), endpoints.end(), endpoint) == endpoints.end()) {
      endpoints.push_back(endpoint);
    }
  }
  ::freeaddrinfo(list);
  return endpoints;
}

// Threads for getaddrinfo(), which blocks: kept between lookups (a daemon resolves at
// every probe, and a thread per lookup cost a clone and its stack each time), more started
// while all are busy (a name that hangs must not hold up the others), and an idle one
// ends after a while. The pool is never destroyed: workers may still wait in it while the
// process exits.
class LookupPool {
 public:
  static LookupPool& instance() {
    static auto* pool = new LookupPool();  // NOLINT(cppcoreguidelines-owning-memory)
    return *pool;
  }
  void submit(std::function<void()> job) {
    std::unique_lock lock(mutex_);
    jobs_.push_back(std::move(job));
    if (idle_ > 0) {
      lock.unlock();
      wake_.notify_one();
      return;
    }
    if (threads_ >= max_threads) return;  // queued: the next free worker takes it
    ++threads_;
    lock.unlock();
    std::thread([this] { work(); }).detach();
  }

 private:
  static constexpr int max_threads = 256;
  static constexpr auto idle_limit = std::chrono::seconds(30);

  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      bool woke = wake_.wait_for(lock, idle_limit, [this] { return !jobs_.empty(); });
      --idle_;
      if (!woke) break;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
    --threads_;
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  int threads_ = 0;
  int idle_ = 0;
};

// RFC 6761 section 6.3: "localhost" and the names under it are the loopback addresses,
// and name resolution libraries SHOULD answer so without asking a resolver. A check run on
// the mail server itself (-H localhost, the commonest target) then needs no lookup thread
// and no NSS. IPv4 first: loopback-only servers listen there at least.
std::optional<std::vector<tcp::endpoint>> localhost_endpoints(std::string_view host,
                                                              std::uint16_t port,
                                                              AddressFamily family) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // the root's dot
  auto label = host.substr(host.rfind('.') == std::string_view::npos ? 0 : host.rfind('.') + 1);
  if (!core::ascii_iequals(label, "localhost")) return std::nullopt;
  std::vector<tcp::endpoint> endpoints;
  if (family != AddressFamily::ipv6) endpoints.emplace_back(asio::ip::address_v4::loopback(), port);
  if (family != AddressFamily::ipv4) endpoints.emplace_back(asio::ip::address_v6::loopback(), port);
  return endpoints;
}

}  // namespace

bool is_ip_literal(std::string_view host) {
  boost::system::error_code ec;
  asio::ip::make_address(std::string(host), ec);
  return !ec;
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
  auto address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(endpoint.port());
}

asio::awaitable<core::Outcome<std::vector<tcp::endpoint>>> resolve(std::string host,
                                                                   std::uint16_t port,
                                                                   AddressFamily family,
                                                                   core::Deadline deadline) {
  using Result = core::Outcome<std::vector<tcp::endpoint>>;
  auto fail = [&](core::FailureKind kind, std::string message) -> Result {
    return core::Failure{"resolve", kind, std::move(message)};
  };
  if (host.empty()) co_return fail(core::FailureKind::config, "no host name given");

  // IPv6 literals may come bracketed, as in URLs.
  std::string literal = host;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  boost::system::error_code parse_error;
  auto address = asio::ip::make_address(literal, parse_error);
  if (!parse_error) {
    if (family == AddressFamily::ipv4 && !address.is_v4()) {
      co_return fail(core::FailureKind::config, "address " + literal + " is not IPv4 (-4 given)");
    }
    if (family == AddressFamily::ipv6 && !address.is_v6()) {
      co_return fail(core::FailureKind::config, "address " + literal + " is not IPv6 (-6 given)");
    }
    co_return std::vector<tcp::endpoint>{tcp::endpoint(address, port)};
  }

  if (auto loopback = localhost_endpoints(host, port, family)) co_return std::move(*loopback);

  auto executor = co_await asio::this_coro::executor;
  auto lookup = std::make_shared<Lookup>(executor);
  lookup->wake.expires_at(deadline.at());
  auto gate = std::make_shared<Gate>(executor);
  int ai_family = address_family(family);
  LookupPool::instance().submit(
      [gate, waiter = std::weak_ptr<Lookup>(lookup), host, port, ai_family] {
        int gai_error = 0;
        auto endpoints = lookup_blocking(host, port, ai_family, gai_error);
        std::lock_guard lock(gate->mutex);
        if (gate->closed) return;
        asio::post(gate->executor, [waiter, gai_error, endpoints = std::move(endpoints)]() mutable {
          auto still_waiting = waiter.lock();
          if (!still_waiting) return;
          still_waiting->done = true;
          still_waiting->gai_error = gai_error;
          still_waiting->endpoints = std::move(endpoints);
          still_waiting->wake.cancel();
        });
      });

  co_await lookup->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  {
    std::lock_guard lock(gate->mutex);
    gate->closed = true;
  }
  if (!lookup->done) {
    co_return fail(core::FailureKind::timeout,
                   "timeout after " + core::format_seconds(core::seconds(deadline.budget())) +
                       " resolving '" + host + "'");
  }
  if (lookup->gai_error != 0) {
    co_return fail(core::FailureKind::resolve,
                   "cannot resolve '" + host + "': " + ::gai_strerror(lookup->gai_error));
  }
  if (lookup->endpoints.empty()) {
    co_return fail(core::FailureKind::resolve, "'" + host + "' has no address of that family");
  }
  co_return std::move(lookup->endpoints);
}

}  // namespace mailprobe::net
