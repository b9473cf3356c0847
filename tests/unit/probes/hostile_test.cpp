// The service probes against servers that misbehave the ways real ones never do in the
// lab: garbage, endless lines, huge multi-line replies, silence, bytes injected before
// TLS, STARTTLS missing. A probe must fail cleanly within its deadline, never hang or grow.

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "probes/smtp.hpp"
#include "probes/tcp.hpp"
#include "support/run.hpp"
#include "support/servers.hpp"

namespace mailprobe::probes {
namespace {

using namespace std::chrono_literals;
using test::ScriptedServer;
using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HostileTest : ::testing::Test {
  asio::io_context io;
  test::TestPki pki;
  std::string ca_file = pki.ca_file();

  TlsPolicy tls(TlsMode mode) {
    TlsPolicy policy;
    policy.mode = mode;
    auto context = net::TlsClientContext::create({true, ca_file});
    EXPECT_TRUE(context);
    policy.context = *context;
    return policy;
  }

  core::ProbeResult smtp(std::uint16_t port, SmtpOptions options = {},
                         std::chrono::milliseconds budget = 2000ms) {
    options.target = {"localhost", port, net::AddressFamily::ipv4};
    options.helo_name = "probe.test";
    return test::run(io, probe_smtp(options, core::Deadline::after(budget)));
  }

  core::ProbeResult tcp_probe(std::uint16_t port, TcpOptions options,
                              std::chrono::milliseconds budget = 2000ms) {
    options.target = {"localhost", port, net::AddressFamily::ipv4};
    return test::run(io, probe_tcp(options, core::Deadline::after(budget)));
  }

  // An SMTP server that offers STARTTLS and, with `inject`, sends extra bytes with its 220.
  ScriptedServer starttls_server(const std::string& inject) {
    auto context = test::server_tls_context(pki.issue("localhost", {"DNS:localhost"}));
    return ScriptedServer(io, [context, inject](tcp::socket s) -> asio::awaitable<void> {
      co_await test::send(s, "220 hostile ESMTP\r\n");
      co_await test::receive_line(s);  // EHLO
      co_await test::send(s, "250-hostile\r\n250 STARTTLS\r\n");
      co_await test::receive_line(s);  // STARTTLS
      co_await test::send(s, "220 go ahead\r\n" + inject);
      asio::ssl::stream<tcp::socket> tls(std::move(s), *context);
      auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server,
                                               asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      for (;;) {
        auto line = co_await test::receive_line(tls);
        if (line.empty()) co_return;
        if (line.rfind("EHLO", 0) == 0) co_await test::send(tls, "250 hostile\r\n");
        if (line == "QUIT") {
          co_await test::send(tls, "221 bye\r\n");
          co_return;
        }
      }
    });
  }
};

TEST_F(HostileTest, GarbageInsteadOfABanner) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "HTTP/1.1 400 Bad Request\r\n\r\n");
    co_await test::drain(s);
  });
  auto result = smtp(server.port());
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary,
            "unexpected answer to the SMTP banner: not an SMTP reply: 'HTTP/1.1 400 Bad Request'");
}

TEST_F(HostileTest, EndlessBannerLine) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    std::string chunk(65536, 'x');
    co_await test::send(s, "220 ");
    for (int i = 0; i < 64; ++i) {
      boost::system::error_code ec;
      asio::write(s, asio::buffer(chunk), ec);
      if (ec) co_return;
      co_await asio::post(s.get_executor(), asio::use_awaitable);
    }
  });
  auto result = smtp(server.port());
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary, "line longer than 8192 bytes while waiting for the SMTP banner");
}

TEST_F(HostileTest, HugeMultiLineReplyIsCutOff) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "220 ok\r\n");
    co_await test::receive_line(s);
    for (int i = 0; i < 100000; ++i) {
      boost::system::error_code ec;
      asio::write(s, asio::buffer(std::string("250-FILLER\r\n")), ec);
      if (ec) co_return;
      if (i % 1000 == 0) co_await asio::post(s.get_executor(), asio::use_awaitable);
    }
  });
  auto result = smtp(server.port());
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary, "unexpected answer to the reply to EHLO: reply longer than 256 lines");
}

TEST_F(HostileTest, MultiLineReplyIsBoundedInBytes) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "220 ok\r\n");
    co_await test::receive_line(s);
    std::string line = "250-" + std::string(1000, 'f') + "\r\n";
    for (int i = 0; i < 200; ++i) {  // fewer lines than the limit, but 200 KB
      auto [ec, n] =
          co_await asio::async_write(s, asio::buffer(line), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
    co_await test::drain(s);
  });
  auto result = smtp(server.port());
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary, "unexpected answer to the reply to EHLO: reply larger than 128 KiB");
}

TEST_F(HostileTest, SilentServerTimesOutNamingTheWait) {
  ScriptedServer server(io,
                        [](tcp::socket s) -> asio::awaitable<void> { co_await test::drain(s); });
  auto started = Clock::now();
  auto result = smtp(server.port(), {}, 300ms);
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary, "timeout after 0.300 s waiting for the SMTP banner");
  ASSERT_TRUE(result.failure);
  EXPECT_EQ(result.failure->phase, "banner");
}

TEST_F(HostileTest, StartTlsNotOffered) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "220 plain ESMTP\r\n");
    co_await test::receive_line(s);
    co_await test::send(s, "250-plain\r\n250 PIPELINING\r\n");
    auto quit = co_await test::receive_line(s);
    if (quit == "QUIT") co_await test::send(s, "221 bye\r\n");
  });
  SmtpOptions options;
  options.tls = tls(TlsMode::starttls);
  auto result = smtp(server.port(), options);
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary, "the server does not offer STARTTLS in its EHLO reply");
}

TEST_F(HostileTest, StartTlsRefused) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "220 ESMTP\r\n");
    co_await test::receive_line(s);
    co_await test::send(s, "250-x\r\n250 STARTTLS\r\n");
    co_await test::receive_line(s);
    co_await test::send(s, "454 4.7.0 TLS not available due to local problem\r\n");
    co_await test::drain(s);
  });
  SmtpOptions options;
  options.tls = tls(TlsMode::starttls);
  auto result = smtp(server.port(), options);
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary, "STARTTLS rejected: 454 4.7.0 TLS not available due to local problem");
}

TEST_F(HostileTest, BytesInjectedBeforeTheHandshakeAreDiscardedAndWarned) {
  auto server = starttls_server("250 INJECTED\r\n");
  SmtpOptions options;
  options.tls = tls(TlsMode::starttls);
  auto result = smtp(server.port(), options);
  EXPECT_EQ(result.overall(), core::State::warning) << result.summary;
  ASSERT_FALSE(result.subchecks.empty());
  EXPECT_EQ(result.subchecks.front().summary,
            "server sent 14 bytes before the TLS handshake; discarded (RFC 3207 section 4.2)");
}

TEST_F(HostileTest, CleanStartTlsIsOk) {
  auto server = starttls_server("");
  SmtpOptions options;
  options.tls = tls(TlsMode::starttls);
  auto result = smtp(server.port(), options);
  EXPECT_EQ(result.overall(), core::State::ok) << result.summary;
}

TEST_F(HostileTest, Pop3GreetingOfGarbageWithStls) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "\x16\x03\x01 binary junk\r\n");
    co_await test::drain(s);
  });
  TcpOptions options;
  options.service = "POP";
  options.protocol = MailProtocol::pop3;
  options.tls = tls(TlsMode::starttls);
  auto result = tcp_probe(server.port(), options);
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.failure->phase, "banner");
  EXPECT_NE(result.summary.find("unexpected answer to the POP3 greeting"), std::string::npos)
      << result.summary;
}

TEST_F(HostileTest, Pop3WithoutStlsSaysSo) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "+OK ready\r\n");
    auto capa = co_await test::receive_line(s);
    if (capa != "CAPA") co_return;
    co_await test::send(s, "+OK\r\nUSER\r\nUIDL\r\n.\r\n");
    co_await test::drain(s);
  });
  TcpOptions options;
  options.service = "POP";
  options.protocol = MailProtocol::pop3;
  options.tls = tls(TlsMode::starttls);
  auto result = tcp_probe(server.port(), options);
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary, "the server does not offer STLS in its capabilities");
}

TEST_F(HostileTest, ImapWithoutStartTlsSaysSo) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
    co_await test::drain(s);
  });
  TcpOptions options;
  options.service = "IMAP";
  options.protocol = MailProtocol::imap;
  options.tls = tls(TlsMode::starttls);
  auto result = tcp_probe(server.port(), options);
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary, "the server does not offer STARTTLS in its capabilities");
}

TEST_F(HostileTest, ImapLiteralBeyondTheLimitIsRefused) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "* OK {99999999999}\r\n");
    co_await test::drain(s);
  });
  TcpOptions options;
  options.service = "IMAP";
  options.protocol = MailProtocol::imap;
  options.tls = tls(TlsMode::starttls);
  auto result = tcp_probe(server.port(), options);
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary,
            "the IMAP greeting is larger than 1 MiB (mailprobe's limit for one IMAP answer)");
}

// Each literal below the old per-literal limit, chained in one greeting: the whole answer
// is bounded, so the probe stops after about 1 MiB instead of holding all of it (a check
// used to grow to 613 MB this way).
TEST_F(HostileTest, ChainedImapLiteralsAreBoundedPerAnswer) {
  std::size_t sent = 0;
  ScriptedServer server(io, [&sent](tcp::socket s) -> asio::awaitable<void> {
    std::string literal(600000, 'L');
    co_await test::send(s, "* OK {600000}\r\n");
    literal += " {600000}\r\n";
    for (int i = 0; i < 32; ++i) {
      auto [ec, n] =
          co_await asio::async_write(s, asio::buffer(literal), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      sent += n;
    }
    co_await test::drain(s);
  });
  TcpOptions options;
  options.service = "IMAP";
  options.protocol = MailProtocol::imap;
  options.tls = tls(TlsMode::starttls);
  auto result = tcp_probe(server.port(), options, 5000ms);
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(result.summary,
            "the IMAP greeting is larger than 1 MiB (mailprobe's limit for one IMAP answer)");
  EXPECT_LT(sent, std::size_t{32} * 600000);  // stopped reading long before the end
}

TEST_F(HostileTest, Pop3AnswerIsBoundedInBytes) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "+OK ready\r\n");
    if (co_await test::receive_line(s) != "CAPA") co_return;
    co_await test::send(s, "+OK\r\n");
    std::string line = "X-" + std::string(8000, 'c') + "\r\n";
    for (int i = 0; i < 400; ++i) {  // 3.2 MB of capabilities, each line within the limit
      auto [ec, n] =
          co_await asio::async_write(s, asio::buffer(line), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
    co_await test::drain(s);
  });
  TcpOptions options;
  options.service = "POP";
  options.protocol = MailProtocol::pop3;
  options.tls = tls(TlsMode::starttls);
  auto result = tcp_probe(server.port(), options, 5000ms);
  EXPECT_EQ(result.overall(), core::State::critical);
  EXPECT_EQ(
      result.summary,
      "answer to the reply to CAPA larger than 2 MiB (mailprobe's limit for one POP3 answer)");
}

TEST_F(HostileTest, ExpectReadingIsBoundedByMaxBytes) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    std::string chunk(4096, 'y');
    for (int i = 0; i < 1000; ++i) {
      boost::system::error_code ec;
      asio::write(s, asio::buffer(chunk), ec);
      if (ec) co_return;
      co_await asio::post(s.get_executor(), asio::use_awaitable);
    }
  });
  TcpOptions options;
  options.service = "TCP";
  options.expect = {"never"};
  options.max_bytes = 10000;
  auto result = tcp_probe(server.port(), options);
  EXPECT_EQ(result.overall(), core::State::warning);
  EXPECT_EQ(result.summary.rfind("Unexpected response from host/socket: yyyy", 0), 0u);
  EXPECT_LE(result.summary.size(), 10100u);
}

TEST_F(HostileTest, ExpectedStringAfterAPauseIsFound) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "+OK ready\r\n");
    asio::steady_timer pause(s.get_executor(), 300ms);
    co_await pause.async_wait(asio::use_awaitable);
    co_await test::send(s, "+OK Logged in.\r\n");
    co_await test::drain(s);
  });
  TcpOptions options;
  options.service = "POP";
  options.expect = {"ogged in"};
  auto result = tcp_probe(server.port(), options);
  EXPECT_EQ(result.overall(), core::State::ok) << result.summary;
  EXPECT_NE(result.summary.find("[+OK ready / +OK Logged in.]"), std::string::npos)
      << result.summary;
}

TEST_F(HostileTest, WrongDefaultBannerFailsWithoutWaiting) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "-ERR go away\r\n");
    co_await test::drain(s);
  });
  TcpOptions options;
  options.service = "POP";
  options.expect = {"+OK"};
  options.expect_prefix = true;
  auto started = Clock::now();
  auto result = tcp_probe(server.port(), options);
  EXPECT_LT(Clock::now() - started, 1s);
  EXPECT_EQ(result.overall(), core::State::warning);
  EXPECT_EQ(result.summary, "Unexpected response from host/socket: -ERR go away");
}

TEST(ExpectMatch, AnyOrAll) {
  EXPECT_EQ(match_expect("+OK Logged in.", {"ogged in"}, false), ExpectMatch::success);
  EXPECT_EQ(match_expect("+OK Logged in.", {"nope", "ogged"}, false), ExpectMatch::success);
  EXPECT_EQ(match_expect("+OK Logged in.", {"nope", "ogged"}, true), ExpectMatch::failure);
  EXPECT_EQ(match_expect("", {"x"}, false), ExpectMatch::failure);
}

}  // namespace
}  // namespace mailprobe::probes
