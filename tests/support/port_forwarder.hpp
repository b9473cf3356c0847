#pragma once
// A TCP relay from a fixed loopback port to another, for integration tests of what depends
// on the standard port numbers (a plugin's default port, -S meaning STARTTLS on 110/143)
// against the lab, whose servers listen on high ports.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

namespace mailprobe::test {

inline sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Relays connections to 127.0.0.1:<listen_port> to the lab's 127.0.0.1:<target_port>, one at
// a time, so that the standard ports (110, 143, 993, 995) that decide the plugins' defaults
// and -S's meaning can be tested against the lab's high ports.
class Forwarder {
 public:
  Forwarder(int listen_port, int target_port) : target_port_(target_port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto address = loopback(listen_port);
    // Another test of a parallel run may hold the port for a moment.
    int bound = -1;
    for (int attempt = 0; attempt < 100 && bound != 0; ++attempt) {
      bound = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
      if (bound != 0 && errno != EADDRINUSE) break;
      if (bound != 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (bound != 0 || ::listen(fd_, 4) != 0) {
      error_ =
          "cannot listen on 127.0.0.1:" + std::to_string(listen_port) + ": " + std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
      return;
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~Forwarder() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;
  const std::string& error() const { return error_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd listener{fd_, POLLIN, 0};
      if (::poll(&listener, 1, 50) <= 0) continue;
      int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      auto address = loopback(target_port_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        relay(client, server);
      }
      ::close(server);
      ::close(client);
    }
  }
  void relay(int a, int b) {
    char buffer[16384];
    while (!stop_) {
      pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].revents == 0) continue;
        auto n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n <= 0) return;
        for (ssize_t done = 0; done < n;) {
          // MSG_NOSIGNAL: a side that has closed ends the relay, not the test process
          // (SIGPIPE).
          auto written = ::send(fds[1 - i].fd, buffer + done, static_cast<std::size_t>(n - done),
                                MSG_NOSIGNAL);
          if (written <= 0) return;
          done += written;
        }
      }
    }
  }
  int fd_ = -1;
  int target_port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::string error_;
};

// Declares Forwarder `name` from 127.0.0.1:`from` to the port in lab.env key `to`; skips
// the test when `from` cannot be listened on (another service has it).
#define FORWARD_OR_SKIP(name, from, to)                        \
  ::mailprobe::test::Forwarder name(from, std::stoi(lab(to))); \
  if (!name.error().empty()) GTEST_SKIP() << name.error()

}  // namespace mailprobe::test
