// The systemd notification protocol against a real AF_UNIX datagram socket, as systemd
// listens on it, and the journal detection of the log.

#include "daemon/service_manager.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "daemon/log.hpp"

namespace mailprobe::daemon {
namespace {

// A datagram socket bound where systemd's would be; what was sent to it, one per datagram.
class Listener {
 public:
  explicit Listener(std::string name) : name_(std::move(name)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name_.data(), name_.size());
    bool abstract = name_[0] == '@';
    if (abstract) address.sun_path[0] = '\0';
    auto length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() + (abstract ? 0 : 1));
    if (!abstract) unlink(name_.c_str());
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0;
  }
  ~Listener() {
    close(fd_);
    if (name_[0] != '@') unlink(name_.c_str());
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  bool bound() const { return bound_; }
  std::vector<std::string> received() const {
    std::vector<std::string> out;
    char buffer[4096];
    for (;;) {
      auto n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      out.emplace_back(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(ServiceManager, NotifiesAPathAndAnAbstractSocket) {
  for (std::string name : {"/tmp/mailprobe-notify-test-" + std::to_string(getpid()),
                           "@mailprobe-notify-test-" + std::to_string(getpid())}) {
    Listener listener(name);
    ASSERT_TRUE(listener.bound()) << name;
    ServiceManager manager(name, std::nullopt);
    EXPECT_TRUE(manager.active());
    EXPECT_TRUE(manager.notify("READY=1\nSTATUS=serving 2 checks"));
    EXPECT_EQ(listener.received(), std::vector<std::string>{"READY=1\nSTATUS=serving 2 checks"})
        << name;
  }
  ServiceManager outside;  // not run by systemd: nothing to do, nothing fails loudly
  EXPECT_FALSE(outside.active());
  EXPECT_FALSE(outside.notify("READY=1"));
}

TEST(ServiceManager, TheWatchdogIsFedFromTheEventLoop) {
  std::string name = "@mailprobe-watchdog-test-" + std::to_string(getpid());
  Listener listener(name);
  ASSERT_TRUE(listener.bound());
  ServiceManager manager(name, std::chrono::milliseconds(100));
  boost::asio::io_context io;
  boost::asio::co_spawn(io, manager.feed_watchdog(), boost::asio::detached);
  io.run_for(std::chrono::milliseconds(520));  // pings at 0, 50, 100, ... ms
  auto pings = listener.received();
  EXPECT_GE(pings.size(), 3U);
  for (const auto& ping : pings)
    EXPECT_EQ(ping, "WATCHDOG=1");
  // A loop that does not run feeds nothing, which is what lets systemd restart a hung one.
  usleep(250'000);
  EXPECT_TRUE(listener.received().empty());
}

TEST(ServiceManager, ReadsTheEnvironmentAsSystemdSetsIt) {
  setenv("NOTIFY_SOCKET", "@mailprobe-env-test", 1);
  setenv("WATCHDOG_USEC", "30000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  auto mine = ServiceManager::from_environment();
  EXPECT_TRUE(mine.active());
  ASSERT_TRUE(mine.watchdog());
  EXPECT_EQ(*mine.watchdog(), std::chrono::seconds(30));
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);  // meant for another
  EXPECT_FALSE(ServiceManager::from_environment().watchdog());
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  setenv("WATCHDOG_USEC", "soon", 1);
  EXPECT_FALSE(ServiceManager::from_environment().watchdog());
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  EXPECT_FALSE(ServiceManager::from_environment().active());
}

TEST(Log, TheJournalIsTheStreamJournalStreamNames) {
  struct stat status {};
  ASSERT_EQ(fstat(2, &status), 0);
  auto stream = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
  setenv("JOURNAL_STREAM", stream.c_str(), 1);
  EXPECT_TRUE(stderr_is_journal());
  setenv("JOURNAL_STREAM", (stream + "1").c_str(), 1);  // stderr redirected elsewhere
  EXPECT_FALSE(stderr_is_journal());
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal());
}

}  // namespace
}  // namespace mailprobe::daemon
