#include "daemon/service_manager.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>
#include <cstring>

#include "core/range.hpp"

namespace mailprobe::daemon {

ServiceManager::ServiceManager(std::string socket,
                               std::optional<std::chrono::microseconds> watchdog)
    : socket_(std::move(socket)), watchdog_(watchdog) {}

ServiceManager ServiceManager::from_environment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || socket[0] == '\0') return {};
  std::optional<std::chrono::microseconds> watchdog;
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  // WATCHDOG_PID names the process meant, when set: not a child that inherited it.
  bool ours = pid == nullptr || core::parse_number(pid) == static_cast<double>(getpid());
  if (usec != nullptr && ours) {
    if (auto value = core::parse_number(usec); value && *value > 0) {
      watchdog = std::chrono::microseconds(static_cast<std::int64_t>(*value));
    }
  }
  return ServiceManager(socket, watchdog);
}

bool ServiceManager::notify(std::string_view state) const {
  if (socket_.empty()) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, socket_.data(), socket_.size());
  if (socket_[0] == '@') address.sun_path[0] = '\0';  // an abstract socket name
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() +
                                       (socket_[0] == '@' ? 0 : 1));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  auto sent = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&address), length);
  close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

boost::asio::awaitable<void> ServiceManager::feed_watchdog() const {
  if (!watchdog_) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    notify("WATCHDOG=1");
    timer.expires_after(*watchdog_ / 2);
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;
  }
}

}  // namespace mailprobe::daemon
