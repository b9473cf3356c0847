#pragma once
// The systemd service protocol (sd_notify(3)), spoken without libsystemd: datagrams of
// "KEY=VALUE" lines to the socket named by $NOTIFY_SOCKET. READY once the daemon serves,
// RELOADING and READY around a SIGHUP, STOPPING at SIGTERM, and WATCHDOG from the daemon's
// one event loop, so that a loop that hangs stops feeding it and systemd restarts the
// service (WatchdogSec=). Outside systemd every call does nothing.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mailprobe::daemon {

class ServiceManager {
 public:
  // From NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (see sd_watchdog_enabled(3)).
  static ServiceManager from_environment();
  // For tests: a socket path ('@' starts an abstract name) and a watchdog interval.
  ServiceManager(std::string socket, std::optional<std::chrono::microseconds> watchdog);
  ServiceManager() = default;

  bool active() const { return !socket_.empty(); }
  // Sends `state` ("READY=1\nSTATUS=..."); false when it could not be sent.
  bool notify(std::string_view state) const;
  // How often systemd expects WATCHDOG=1; nullopt when no watchdog is asked for.
  std::optional<std::chrono::microseconds> watchdog() const { return watchdog_; }

  // Sends WATCHDOG=1 at half the interval for as long as the event loop runs.
  boost::asio::awaitable<void> feed_watchdog() const;

 private:
  std::string socket_;
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace mailprobe::daemon
