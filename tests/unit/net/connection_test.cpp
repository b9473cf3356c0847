// The connection under what real servers rarely do: refuse, stay silent, never end a
// line, close in the middle of one, trickle bytes past the deadline.

#include "net/connection.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/resolve.hpp"
#include "support/run.hpp"
#include "support/servers.hpp"

namespace mailprobe::net {
namespace {

using namespace std::chrono_literals;
using test::ScriptedServer;
using Clock = std::chrono::steady_clock;

constexpr Step greeting{"greeting", "the greeting"};

struct Fixture : ::testing::Test {
  asio::io_context io;
};

using ConnectionTest = Fixture;

TEST_F(ConnectionTest, RefusedSaysSoAndWhere) {
  auto port = test::closed_port();
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<ConnectInfo>> {
    Connection conn(io.get_executor(), core::Deadline::after(2s));
    co_return co_await conn.connect("127.0.0.1", port, AddressFamily::any);
  }());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.failure().phase, "connect");
  EXPECT_EQ(outcome.failure().kind, core::FailureKind::refused);
  EXPECT_EQ(outcome.failure().message, "connection refused by 127.0.0.1:" + std::to_string(port));
}

// localhost is 127.0.0.1 and ::1: when both fail, the refusal is told, whatever ::1 did
// (refused too, or an error of a host without IPv6).
TEST_F(ConnectionTest, RefusedByLocalhostSaysRefusedWhateverIpv6Did) {
  auto port = test::closed_port();
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<ConnectInfo>> {
    Connection conn(io.get_executor(), core::Deadline::after(2s));
    co_return co_await conn.connect("localhost", port, AddressFamily::any);
  }());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.failure().kind, core::FailureKind::refused);
  EXPECT_EQ(outcome.failure().message, "connection refused by 127.0.0.1:" + std::to_string(port));
}

TEST_F(ConnectionTest, ReadsCrlfAndBareLfLines) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "220 first\r\n220-second\n220 third\r\n");
    co_await test::drain(s);
  });
  std::vector<std::string> transcript;
  auto lines = test::run(io, [&]() -> asio::awaitable<std::vector<std::string>> {
    Connection conn(io.get_executor(), core::Deadline::after(2s));
    conn.set_transcript(&transcript);
    auto connected = co_await conn.connect("127.0.0.1", server.port(), AddressFamily::ipv4);
    EXPECT_TRUE(connected);
    std::vector<std::string> got;
    for (int i = 0; i < 3; ++i) {
      auto line = co_await conn.read_line(greeting);
      EXPECT_TRUE(line);
      if (line) got.push_back(*line);
    }
    co_return got;
  }());
  EXPECT_EQ(lines, (std::vector<std::string>{"220 first", "220-second", "220 third"}));
  ASSERT_EQ(transcript.size(), 4u);
  EXPECT_EQ(transcript[1], "S: 220 first");
}

TEST_F(ConnectionTest, SilentServerHitsTheDeadlineAndNamesTheWait) {
  ScriptedServer server(io,
                        [](tcp::socket s) -> asio::awaitable<void> { co_await test::drain(s); });
  auto started = Clock::now();
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<std::string>> {
    Connection conn(io.get_executor(), core::Deadline::after(300ms));
    auto connected = co_await conn.connect("127.0.0.1", server.port(), AddressFamily::any);
    EXPECT_TRUE(connected);
    co_return co_await conn.read_line(greeting);
  }());
  auto elapsed = Clock::now() - started;
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.failure().kind, core::FailureKind::timeout);
  EXPECT_EQ(outcome.failure().phase, "greeting");
  EXPECT_EQ(outcome.failure().message, "timeout after 0.300 s waiting for the greeting");
  EXPECT_LT(elapsed, 5s);  // a hang would be caught by ctest; this only guards gross errors
}

TEST_F(ConnectionTest, TricklingServerCannotExtendTheDeadline) {
  // One byte every 50 ms, never a newline: each read succeeds, the deadline must still hit.
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    asio::steady_timer timer(s.get_executor());
    for (int i = 0; i < 200; ++i) {
      boost::system::error_code ec;
      asio::write(s, asio::buffer("x", 1), ec);
      if (ec) co_return;
      timer.expires_after(50ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
  });
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<std::string>> {
    Connection conn(io.get_executor(), core::Deadline::after(400ms));
    co_await conn.connect("127.0.0.1", server.port(), AddressFamily::any);
    co_return co_await conn.read_line(greeting);
  }());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.failure().kind, core::FailureKind::timeout);
}

TEST_F(ConnectionTest, EndlessLineIsAProtocolErrorNotAnAllocation) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    std::string chunk(65536, 'A');
    for (int i = 0; i < 64; ++i) {  // at most 4 MiB, far past the limit
      boost::system::error_code ec;
      asio::write(s, asio::buffer(chunk), ec);
      if (ec) co_return;
      co_await asio::post(s.get_executor(), asio::use_awaitable);
    }
  });
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<std::string>> {
    Connection conn(io.get_executor(), core::Deadline::after(5s), 1024);
    co_await conn.connect("127.0.0.1", server.port(), AddressFamily::any);
    co_return co_await conn.read_line(greeting);
  }());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.failure().kind, core::FailureKind::protocol);
  EXPECT_EQ(outcome.failure().message,
            "line longer than 1024 bytes while waiting for the greeting");
}

// Lines each within the limit, without end: the connection's read limit ends it.
TEST_F(ConnectionTest, EndlessLinesHitTheConnectionsReadLimit) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    std::string line(198, 'E');
    line += "\r\n";
    for (int i = 0; i < 1000; ++i) {
      auto [ec, n] =
          co_await asio::async_write(s, asio::buffer(line), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
    co_await test::drain(s);
  });
  int lines = 0;
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<std::string>> {
    Connection conn(io.get_executor(), core::Deadline::after(5s));
    conn.set_read_limit(10000);
    co_await conn.connect("127.0.0.1", server.port(), AddressFamily::any);
    for (;;) {
      auto line = co_await conn.read_line(greeting);
      if (!line) co_return line;
      ++lines;
    }
  }());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(lines, 50);  // 50 lines of 200 bytes are the 10000 allowed
  EXPECT_EQ(outcome.failure().kind, core::FailureKind::protocol);
  EXPECT_EQ(outcome.failure().message,
            "the server sent more than 10000 bytes (mailprobe's limit for this connection) "
            "while waiting for the greeting");
}

TEST_F(ConnectionTest, LineOfExactlyTheLimitIsAccepted) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, std::string(1024, 'B') + "\r\n" + std::string(1025, 'C') + "\r\n");
    co_await test::drain(s);
  });
  test::run(io, [&]() -> asio::awaitable<void> {
    Connection conn(io.get_executor(), core::Deadline::after(2s), 1024);
    co_await conn.connect("127.0.0.1", server.port(), AddressFamily::any);
    auto first = co_await conn.read_line(greeting);
    EXPECT_TRUE(first);
    if (first) {
      EXPECT_EQ(first->size(), 1024u);
    }
    auto second = co_await conn.read_line(greeting);
    EXPECT_FALSE(second);
  }());
}

TEST_F(ConnectionTest, CloseInTheMiddleOfALine) {
  ScriptedServer server(
      io, [](tcp::socket s) -> asio::awaitable<void> { co_await test::send(s, "220 half a li"); });
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<std::string>> {
    Connection conn(io.get_executor(), core::Deadline::after(2s));
    co_await conn.connect("127.0.0.1", server.port(), AddressFamily::any);
    co_return co_await conn.read_line(greeting);
  }());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.failure().kind, core::FailureKind::protocol);
  EXPECT_EQ(outcome.failure().message,
            "connection closed by the server in the middle of a line while waiting for the "
            "greeting");
}

TEST_F(ConnectionTest, CloseBeforeAnything) {
  ScriptedServer server(io, [](tcp::socket) -> asio::awaitable<void> { co_return; });
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<std::string>> {
    Connection conn(io.get_executor(), core::Deadline::after(2s));
    co_await conn.connect("127.0.0.1", server.port(), AddressFamily::any);
    co_return co_await conn.read_line(greeting);
  }());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.failure().kind, core::FailureKind::network);
  EXPECT_EQ(outcome.failure().message,
            "connection closed by the server while waiting for the greeting");
}

// A server that answers and hangs up while the client still has something to say (a QUIT
// after a refused AUTH): every read after the end fails at once, not at the deadline.
TEST_F(ConnectionTest, ReadsAfterTheServerClosedFailAtOnce) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "220 hello\r\n");
    s.shutdown(tcp::socket::shutdown_send);
    co_await test::drain(s);
  });
  auto started = Clock::now();
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<std::string>> {
    Connection conn(io.get_executor(), core::Deadline::after(10s));
    co_await conn.connect("127.0.0.1", server.port(), AddressFamily::any);
    EXPECT_TRUE(co_await conn.read_line(greeting));
    auto first = co_await conn.read_line({"auth", "the reply to AUTH"});
    EXPECT_FALSE(first);
    EXPECT_TRUE(co_await conn.write("QUIT\r\n", {"quit", "QUIT"}));
    co_return co_await conn.read_line({"quit", "the reply to QUIT"});
  }());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.failure().message,
            "connection closed by the server while waiting for the reply to QUIT");
  EXPECT_LT(Clock::now() - started, 5s);  // the deadline is 10 s; it used to be reached
}

TEST_F(ConnectionTest, ReadSomeReturnsBufferedBytesFirst) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "+OK line\r\nrest without newline");
    co_await test::drain(s);
  });
  test::run(io, [&]() -> asio::awaitable<void> {
    Connection conn(io.get_executor(), core::Deadline::after(2s));
    co_await conn.connect("127.0.0.1", server.port(), AddressFamily::any);
    auto line = co_await conn.read_line(greeting);
    EXPECT_TRUE(line && *line == "+OK line");
    auto rest = co_await conn.read_some(4, greeting);
    EXPECT_TRUE(rest && *rest == "rest");
    auto more = co_await conn.read_some(1000, greeting);
    EXPECT_TRUE(more && *more == " without newline");
  }());
}

TEST_F(ConnectionTest, UnresolvableNameFailsInTheResolvePhaseWithinTheDeadline) {
  auto started = Clock::now();
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<ConnectInfo>> {
    Connection conn(io.get_executor(), core::Deadline::after(2s));
    // .invalid never resolves (RFC 2606); without network this may time out instead.
    co_return co_await conn.connect("no-such-host.invalid", 25, AddressFamily::any);
  }());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.failure().phase, "resolve");
  EXPECT_TRUE(outcome.failure().kind == core::FailureKind::resolve ||
              outcome.failure().kind == core::FailureKind::timeout);
  EXPECT_LT(Clock::now() - started, 3s);
}

// RFC 6761 section 6.3: localhost names are the loopback addresses, answered without a
// lookup: even with no time left, where a lookup would be a timeout.
TEST_F(ConnectionTest, LocalhostNamesAreTheLoopbackWithoutALookup) {
  auto texts = [&](std::string host, AddressFamily family) {
    auto found = test::run(io, [&]() -> asio::awaitable<core::Outcome<std::vector<tcp::endpoint>>> {
      co_return co_await resolve(host, 25, family, core::Deadline::after(0s));
    }());
    std::vector<std::string> shown;
    if (!found) return std::vector<std::string>{found.failure().message};
    for (const auto& endpoint : *found)
      shown.push_back(endpoint_text(endpoint));
    return shown;
  };
  using Texts = std::vector<std::string>;
  EXPECT_EQ(texts("localhost", AddressFamily::any), (Texts{"127.0.0.1:25", "[::1]:25"}));
  EXPECT_EQ(texts("Mail.LOCALHOST.", AddressFamily::ipv6), (Texts{"[::1]:25"}));
  EXPECT_EQ(texts("localhost", AddressFamily::ipv4), (Texts{"127.0.0.1:25"}));
  // Only the last label counts: this one is looked up, and there is no time for it.
  auto other = texts("localhost.invalid", AddressFamily::any);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_NE(other[0].find("timeout"), std::string::npos) << other[0];
}

TEST_F(ConnectionTest, AddressFamilyMustMatchALiteral) {
  auto outcome = test::run(io, [&]() -> asio::awaitable<core::Outcome<ConnectInfo>> {
    Connection conn(io.get_executor(), core::Deadline::after(2s));
    co_return co_await conn.connect("127.0.0.1", 25, AddressFamily::ipv6);
  }());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.failure().message, "address 127.0.0.1 is not IPv6 (-6 given)");
}

TEST_F(ConnectionTest, ResolvesLocalhostAndConnectsOverIpv6WhenAvailable) {
  boost::system::error_code ec;
  tcp::acceptor probe(io);
  probe.open(tcp::v6(), ec);
  if (!ec) probe.bind(tcp::endpoint(asio::ip::make_address("::1"), 0), ec);
  if (ec) GTEST_SKIP() << "no IPv6 loopback on this machine";
  probe.close();
  ScriptedServer server(
      io,
      [](tcp::socket s) -> asio::awaitable<void> {
        co_await test::send(s, "* OK v6\r\n");
        co_await test::drain(s);
      },
      1, "::1");
  test::run(io, [&]() -> asio::awaitable<void> {
    Connection conn(io.get_executor(), core::Deadline::after(2s));
    auto connected = co_await conn.connect("::1", server.port(), AddressFamily::ipv6);
    EXPECT_TRUE(connected);
    if (connected) {
      EXPECT_EQ(endpoint_text(connected->endpoint), "[::1]:" + std::to_string(server.port()));
    }
    auto line = co_await conn.read_line(greeting);
    EXPECT_TRUE(line && *line == "* OK v6");
  }());
}

}  // namespace
}  // namespace mailprobe::net
