// TLS verification and certificate facts against in-process servers with certificates
// made for each case: good, expired, wrong host, untrusted, and bytes before STARTTLS.
// Every case runs twice: in OpenSSL's default library context (the plugins) and in the
// lean one (the daemon).

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/connection.hpp"
#include "net/tls_library.hpp"
#include "support/run.hpp"
#include "support/servers.hpp"

namespace mailprobe::net {
namespace {

using namespace std::chrono_literals;
using test::ScriptedServer;

constexpr Step banner{"banner", "the banner"};

struct TlsTest : ::testing::TestWithParam<bool> {
  void SetUp() override { prefer_lean_tls_library(GetParam()); }
  void TearDown() override { prefer_lean_tls_library(false); }

  asio::io_context io;
  test::TestPki pki;
  std::string ca_file = pki.ca_file();

  std::shared_ptr<TlsClientContext> client(bool verify = true) {
    auto context = TlsClientContext::create({verify, ca_file});
    EXPECT_TRUE(context);
    return *context;
  }

  // A server that completes the handshake, sends a greeting and waits for the client.
  ScriptedServer implicit_tls(const test::Pem& leaf, std::string* sni = nullptr) {
    auto context = test::server_tls_context(leaf, pki.ca().certificate);
    return ScriptedServer(io, [context, sni](tcp::socket s) -> asio::awaitable<void> {
      asio::ssl::stream<tcp::socket> tls(std::move(s), *context);
      auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server,
                                               asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      if (sni != nullptr) {
        const char* name = SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name);
        if (name != nullptr) *sni = name;
      }
      co_await test::send(tls, "* OK over TLS\r\n");
      co_await test::drain(tls);
    });
  }

  core::Outcome<TlsFacts> handshake(std::uint16_t port, std::shared_ptr<TlsClientContext> tls,
                                    const std::string& name,
                                    std::chrono::milliseconds budget = 3000ms) {
    return test::run(io, [&]() -> asio::awaitable<core::Outcome<TlsFacts>> {
      Connection conn(io.get_executor(), core::Deadline::after(budget));
      auto connected = co_await conn.connect("127.0.0.1", port, AddressFamily::any);
      if (!connected) co_return connected.failure();
      auto facts = co_await conn.start_tls(*tls, name);
      if (facts) {
        auto line = co_await conn.read_line(banner);
        EXPECT_TRUE(line && *line == "* OK over TLS");
        co_await conn.close();
      }
      co_return facts;
    }());
  }
};

TEST_P(TlsTest, VerifiedHandshakeReportsChainVersionCipherAndSni) {
  std::string sni;
  auto server = implicit_tls(pki.issue("localhost", {"DNS:localhost", "IP:127.0.0.1"}), &sni);
  auto facts = handshake(server.port(), client(), "localhost");
  ASSERT_TRUE(facts) << facts.failure().message;
  EXPECT_TRUE(facts->verified);
  EXPECT_EQ(sni, "localhost");
  EXPECT_EQ(facts->version, "TLSv1.3");
  EXPECT_FALSE(facts->cipher.empty());
  ASSERT_EQ(facts->chain.size(), 2u);  // leaf and the trust anchor
  EXPECT_EQ(facts->leaf()->subject, "CN=localhost");
  EXPECT_EQ(facts->leaf()->issuer, "CN=mailprobe test CA");
  auto now = std::chrono::system_clock::now();
  EXPECT_NEAR(facts->leaf()->days_left(now), 365, 0.1);
  EXPECT_EQ(facts->earliest_expiry(), facts->leaf());
  EXPECT_EQ(facts->discarded_bytes, 0u);
  EXPECT_TRUE(facts->verify_problem.empty());
}

TEST_P(TlsTest, IpAddressIsVerifiedAgainstIpSansAndNotSentAsSni) {
  std::string sni = "unset";
  auto server = implicit_tls(pki.issue("localhost", {"DNS:localhost", "IP:127.0.0.1"}), &sni);
  auto facts = handshake(server.port(), client(), "127.0.0.1");
  ASSERT_TRUE(facts) << facts.failure().message;
  EXPECT_EQ(sni, "unset");  // RFC 6066 section 3: no IP literals in SNI
}

TEST_P(TlsTest, EarliestExpiryLooksAtTheWholeChain) {
  test::TestPki short_ca(10);
  ca_file = short_ca.ca_file();
  auto tls_server = [&] {
    auto context = test::server_tls_context(short_ca.issue("localhost", {"DNS:localhost"}),
                                            short_ca.ca().certificate);
    return ScriptedServer(io, [context](tcp::socket s) -> asio::awaitable<void> {
      asio::ssl::stream<tcp::socket> tls(std::move(s), *context);
      auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server,
                                               asio::as_tuple(asio::use_awaitable));
      if (!ec) co_await test::send(tls, "* OK over TLS\r\n");
      co_await test::drain(tls);
    });
  }();
  auto facts = handshake(tls_server.port(), client(), "localhost");
  ASSERT_TRUE(facts) << facts.failure().message;
  auto now = std::chrono::system_clock::now();
  EXPECT_NEAR(facts->leaf()->days_left(now), 365, 0.1);
  ASSERT_NE(facts->earliest_expiry(), nullptr);
  EXPECT_EQ(facts->earliest_expiry()->subject, "CN=mailprobe test CA");
  EXPECT_NEAR(facts->earliest_expiry()->days_left(now), 10, 0.1);
}

TEST_P(TlsTest, ExpiredCertificateFailsWithDateAndAge) {
  auto server = implicit_tls(pki.issue("localhost", {"DNS:localhost"}, -400, -30));
  auto facts = handshake(server.port(), client(), "localhost");
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.failure().phase, "tls");
  EXPECT_EQ(facts.failure().kind, core::FailureKind::certificate);
  EXPECT_NE(facts.failure().message.find("TLS certificate of CN=localhost expired "),
            std::string::npos)
      << facts.failure().message;
  EXPECT_NE(facts.failure().message.find("(30 days ago)"), std::string::npos)
      << facts.failure().message;
}

TEST_P(TlsTest, NotYetValidCertificateFails) {
  auto server = implicit_tls(pki.issue("localhost", {"DNS:localhost"}, 5, 365));
  auto facts = handshake(server.port(), client(), "localhost");
  ASSERT_FALSE(facts);
  EXPECT_NE(facts.failure().message.find("is not valid before"), std::string::npos)
      << facts.failure().message;
}

TEST_P(TlsTest, WrongHostNameFailsAndSaysWhichNamesTheCertificateHas) {
  auto server = implicit_tls(pki.issue("wrong.example", {"DNS:wrong.example"}));
  auto facts = handshake(server.port(), client(), "localhost");
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.failure().kind, core::FailureKind::certificate);
  EXPECT_EQ(facts.failure().message,
            "TLS certificate of CN=wrong.example is not valid for 'localhost' (it names "
            "DNS:wrong.example)");
}

TEST_P(TlsTest, UntrustedCertificateFails) {
  auto server = implicit_tls(pki.self_signed("localhost", {"DNS:localhost"}));
  auto facts = handshake(server.port(), client(), "localhost");
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.failure().kind, core::FailureKind::certificate);
  EXPECT_NE(facts.failure().message.find("is not trusted"), std::string::npos)
      << facts.failure().message;
}

TEST_P(TlsTest, SystemCasDoNotTrustAPrivateCa) {
  auto server = implicit_tls(pki.issue("localhost", {"DNS:localhost"}));
  auto system = TlsClientContext::create({true, ""});
  ASSERT_TRUE(system);
  auto facts = handshake(server.port(), *system, "localhost");
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.failure().kind, core::FailureKind::certificate);
}

TEST_P(TlsTest, InsecureAcceptsButStillSaysWhatIsWrong) {
  auto server = implicit_tls(pki.issue("localhost", {"DNS:localhost"}, -400, -30));
  auto facts = handshake(server.port(), client(false), "localhost");
  ASSERT_TRUE(facts) << facts.failure().message;
  EXPECT_FALSE(facts->verified);
  EXPECT_NE(facts->verify_problem.find("expired"), std::string::npos) << facts->verify_problem;
  ASSERT_FALSE(facts->chain.empty());
  EXPECT_LT(facts->leaf()->days_left(std::chrono::system_clock::now()), -29);
}

TEST_P(TlsTest, MissingCaFileIsAConfigError) {
  auto context = TlsClientContext::create({true, "/nonexistent/ca.pem"});
  ASSERT_FALSE(context);
  EXPECT_EQ(context.failure().kind, core::FailureKind::config);
  EXPECT_NE(context.failure().message.find("cannot load CA file '/nonexistent/ca.pem'"),
            std::string::npos);
}

TEST_P(TlsTest, PlainServerIsAHandshakeFailureNotACertificateOne) {
  ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "220 plain text server\r\n");
    co_await test::drain(s);
  });
  auto facts = handshake(server.port(), client(), "localhost");
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.failure().phase, "tls");
  EXPECT_EQ(facts.failure().kind, core::FailureKind::tls);
  EXPECT_NE(facts.failure().message.find("TLS handshake with 127.0.0.1:"), std::string::npos);
}

TEST_P(TlsTest, SilentServerTimesOutInTheHandshake) {
  ScriptedServer server(io,
                        [](tcp::socket s) -> asio::awaitable<void> { co_await test::drain(s); });
  auto facts = handshake(server.port(), client(), "localhost", 300ms);
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.failure().kind, core::FailureKind::timeout);
  EXPECT_EQ(facts.failure().phase, "tls");
}

TEST_P(TlsTest, StartTlsDiscardsAndCountsBytesSentBeforeTheHandshake) {
  auto context = test::server_tls_context(pki.issue("localhost", {"DNS:localhost"}));
  ScriptedServer server(io, [context](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "220 ready\r\n");
    auto command = co_await test::receive_line(s);
    if (command != "STARTTLS") co_return;
    // An attacker's injected reply rides along with the STARTTLS answer (RFC 3207 4.2).
    co_await test::send(s, "220 go ahead\r\n250 INJECTED\r\n");
    asio::ssl::stream<tcp::socket> tls(std::move(s), *context);
    auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server,
                                             asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    co_await test::send(tls, "250 after TLS\r\n");
    co_await test::drain(tls);
  });
  std::vector<std::string> transcript;
  test::run(io, [&]() -> asio::awaitable<void> {
    Connection conn(io.get_executor(), core::Deadline::after(3s));
    conn.set_transcript(&transcript);
    co_await conn.connect("127.0.0.1", server.port(), AddressFamily::any);
    auto greeting = co_await conn.read_line(banner);
    EXPECT_TRUE(greeting && *greeting == "220 ready");
    co_await conn.write("STARTTLS\r\n", {"starttls", "STARTTLS"});
    auto reply = co_await conn.read_line({"starttls", "the STARTTLS reply"});
    EXPECT_TRUE(reply && *reply == "220 go ahead");
    auto tls = client();
    auto facts = co_await conn.start_tls(*tls, "localhost");
    EXPECT_TRUE(facts);
    if (facts) {
      EXPECT_EQ(facts->discarded_bytes, 14u);
    }
    EXPECT_TRUE(conn.tls_active());
    auto after = co_await conn.read_line(banner);
    EXPECT_TRUE(after && *after == "250 after TLS");
    co_await conn.close();
  }());
  EXPECT_NE(std::find(transcript.begin(), transcript.end(), "* discarded 14 bytes sent before TLS"),
            transcript.end());
}

// Debian's OpenSSL runs the default provider alone: the lean context can be made.
TEST_P(TlsTest, TheLeanLibraryContextIsMadeWhenAskedFor) {
  EXPECT_EQ(client_tls_library() != nullptr, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Library, TlsTest, ::testing::Values(false, true),
                         [](const auto& param_info) {
                           return param_info.param ? "Lean" : "OpenSslDefault";
                         });

}  // namespace
}  // namespace mailprobe::net
