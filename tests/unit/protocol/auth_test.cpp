// SASL exchanges of the three clients against scripted servers: what goes on the wire,
// what the transcript shows, and how a refusal comes back.

#include <gtest/gtest.h>

#include "protocol/imap_client.hpp"
#include "protocol/pop3_client.hpp"
#include "protocol/smtp_client.hpp"
#include "support/run.hpp"
#include "support/servers.hpp"

namespace mailprobe::protocol {
namespace {

using namespace std::chrono_literals;
using test::ScriptedServer;
using tcp = asio::ip::tcp;

const Credentials token_user{"user@example.test", "ya29.token"};
const std::string xoauth2 = sasl_xoauth2(token_user);

struct AuthTest : ::testing::Test {
  asio::io_context io;
  std::vector<std::string> transcript;
  std::vector<std::string> received;  // what the server read, line by line

  template <class Body>
  core::Status with_connection(std::uint16_t port, Body body) {
    return test::run(io, [&]() -> asio::awaitable<core::Status> {
      net::Connection connection(io.get_executor(), core::Deadline::after(3s));
      connection.set_transcript(&transcript);
      auto connected = co_await connection.connect("127.0.0.1", port, net::AddressFamily::any);
      if (!connected) co_return connected.failure();
      co_return co_await body(connection);
    }());
  }

  bool transcript_has(const std::string& secret) const {
    for (const auto& line : transcript) {
      if (line.find(secret) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(AuthTest, ImapXoauth2WithSaslIr) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "* OK ready\r\n");
    auto line = co_await test::receive_line(s);
    received.push_back(line);
    co_await test::send(s, "mp1 OK done\r\n");
    co_await test::drain(s);
  });
  auto status =
      with_connection(server.port(), [](net::Connection& c) -> asio::awaitable<core::Status> {
        ImapClient imap(c);
        co_await imap.read_greeting();
        std::vector<std::string> caps;  // no initializer list: GCC 12 coroutine bug
        caps.push_back("SASL-IR");
        co_return co_await imap.login(token_user, "XOAUTH2", caps);
      });
  EXPECT_TRUE(status) << status.failure().message;
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0], "mp1 AUTHENTICATE XOAUTH2 " + xoauth2);
  EXPECT_FALSE(transcript_has(xoauth2));
  EXPECT_TRUE(transcript_has("C: mp1 AUTHENTICATE XOAUTH2 <redacted>"));
}

TEST_F(AuthTest, ImapXoauth2RefusedAfterTheErrorDocument) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "* OK ready\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "+ eyJzdGF0dXMiOiI0MDEifQ==\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "mp1 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n");
    co_await test::drain(s);
  });
  auto status =
      with_connection(server.port(), [](net::Connection& c) -> asio::awaitable<core::Status> {
        ImapClient imap(c);
        co_await imap.read_greeting();
        std::vector<std::string> caps;  // no initializer list: GCC 12 coroutine bug
        caps.push_back("SASL-IR");
        co_return co_await imap.login(token_user, "XOAUTH2", caps);
      });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.failure().kind, core::FailureKind::rejected);
  // The error document ({"status":"401"}) is told in the message.
  EXPECT_EQ(status.failure().message,
            "AUTHENTICATE XOAUTH2 failed: NO Invalid credentials (token refused: status 401)");
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[1], "");  // the empty line that ends the failed exchange
}

TEST_F(AuthTest, ImapPlainWithoutSaslIrWaitsForTheGoAhead) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "* OK ready\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "+ \r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "* CAPABILITY IMAP4rev1\r\nmp1 OK Logged in\r\n");
    co_await test::drain(s);
  });
  Credentials user{"odd@example.test", "odd pa\"ss\\word"};
  auto status =
      with_connection(server.port(), [&](net::Connection& c) -> asio::awaitable<core::Status> {
        ImapClient imap(c);
        co_await imap.read_greeting();
        std::vector<std::string> caps;
        co_return co_await imap.login(user, "PLAIN", caps);
      });
  EXPECT_TRUE(status) << status.failure().message;
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0], "mp1 AUTHENTICATE PLAIN");
  EXPECT_EQ(received[1], sasl_plain(user));
  EXPECT_FALSE(transcript_has(sasl_plain(user)));
}

TEST_F(AuthTest, ImapLoginQuotesAndFallsBackToALiteral) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "* OK ready\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "+ go ahead\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "mp1 OK Logged in\r\n");
    co_await test::drain(s);
  });
  Credentials user{"u@example.test", "p\xc3\xa4ss"};  // 8-bit: needs a literal
  auto status =
      with_connection(server.port(), [&](net::Connection& c) -> asio::awaitable<core::Status> {
        ImapClient imap(c);
        co_await imap.read_greeting();
        std::vector<std::string> caps;
        co_return co_await imap.login(user, "", caps);
      });
  EXPECT_TRUE(status) << status.failure().message;
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0], "mp1 LOGIN \"u@example.test\" {5}");
  EXPECT_EQ(received[1], "p\xc3\xa4ss");
  EXPECT_FALSE(transcript_has("p\xc3\xa4ss"));
}

TEST_F(AuthTest, Pop3Xoauth2) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "+OK ready\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "+OK welcome\r\n");
    co_await test::drain(s);
  });
  auto status =
      with_connection(server.port(), [](net::Connection& c) -> asio::awaitable<core::Status> {
        Pop3Client pop3(c);
        co_await pop3.read_status({"greeting", "the greeting"});
        co_return co_await pop3.login(token_user, "XOAUTH2");
      });
  EXPECT_TRUE(status) << status.failure().message;
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0], "AUTH XOAUTH2 " + xoauth2);
  EXPECT_FALSE(transcript_has(xoauth2));
}

TEST_F(AuthTest, Pop3UserPassRefused) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "+OK ready\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "+OK\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "-ERR [AUTH] Authentication failed.\r\n");
    co_await test::drain(s);
  });
  Credentials user{"u", "secret-password"};
  auto status =
      with_connection(server.port(), [&](net::Connection& c) -> asio::awaitable<core::Status> {
        Pop3Client pop3(c);
        co_await pop3.read_status({"greeting", "the greeting"});
        co_return co_await pop3.login(user, "");
      });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.failure().message, "login failed: -ERR [AUTH] Authentication failed.");
  EXPECT_EQ(received[1], "PASS secret-password");
  EXPECT_FALSE(transcript_has("secret-password"));
  EXPECT_TRUE(transcript_has("C: PASS <redacted>"));
}

TEST_F(AuthTest, SmtpXoauth2ErrorFlowEndsWithAnEmptyLine) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "334 eyJzdGF0dXMiOiI0MDEifQ==\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "535 5.7.8 Username and Password not accepted\r\n");
    co_await test::drain(s);
  });
  auto status =
      with_connection(server.port(), [](net::Connection& c) -> asio::awaitable<core::Status> {
        SmtpClient smtp(c);
        co_return co_await smtp.authenticate("XOAUTH2", token_user);
      });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.failure().message,
            "AUTH XOAUTH2 failed: 535 5.7.8 Username and Password not accepted (token refused: "
            "status 401)");
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0], "AUTH XOAUTH2 " + xoauth2);
  EXPECT_EQ(received[1], "");
}

TEST_F(AuthTest, SmtpLoginRedactsThePassword) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "334 VXNlcm5hbWU6\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "334 UGFzc3dvcmQ6\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "235 2.7.0 Authentication successful\r\n");
    co_await test::drain(s);
  });
  Credentials user{"sender", "hunter2"};
  auto status =
      with_connection(server.port(), [&](net::Connection& c) -> asio::awaitable<core::Status> {
        SmtpClient smtp(c);
        co_return co_await smtp.authenticate("LOGIN", user);
      });
  EXPECT_TRUE(status) << status.failure().message;
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[1], base64_encode("sender"));
  EXPECT_EQ(received[2], base64_encode("hunter2"));
  EXPECT_FALSE(transcript_has(base64_encode("hunter2")));
}

// RFC 7628 section 3.2.3: after the error document the client sends a lone ^A, and the
// output tells what the document said.
TEST_F(AuthTest, SmtpOauthbearerErrorFlowEndsWithControlA) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    received.push_back(co_await test::receive_line(s));
    co_await test::send(
        s, "334 " + base64_encode(R"({"status":"invalid_token","scope":"mail"})") + "\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "535 5.7.8 Error: authentication failed\r\n");
    co_await test::drain(s);
  });
  Credentials bearer{"user@example.test", "ya29.token", true, "smtp.example.test", 587};
  auto status =
      with_connection(server.port(), [&](net::Connection& c) -> asio::awaitable<core::Status> {
        SmtpClient smtp(c);
        co_return co_await smtp.authenticate("OAUTHBEARER", bearer);
      });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.failure().message,
            "AUTH OAUTHBEARER failed: 535 5.7.8 Error: authentication failed (token refused: "
            "status invalid_token, scope mail)");
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0], "AUTH OAUTHBEARER " + sasl_oauthbearer(bearer));
  EXPECT_EQ(received[1], "AQ==");
  EXPECT_FALSE(transcript_has("ya29"));
  EXPECT_FALSE(transcript_has(sasl_oauthbearer(bearer)));
}

// RFC 4954 section 4: an AUTH line longer than RFC 5321's 512 octets (CRLF included) goes
// without its initial response, which follows the server's empty 334. PLAIN of a 366-byte
// password is 372 bytes, 496 characters of base64: "AUTH PLAIN " + 496 + CRLF = 509 octets,
// sent at once; a 369-byte one (500 characters) makes 513, and waits for the 334.
TEST_F(AuthTest, SmtpInitialResponseOnlyWithinTheCommandLineLimit) {
  for (std::size_t password : {std::size_t{366}, std::size_t{369}}) {
    received.clear();
    transcript.clear();
    ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
      auto line = co_await test::receive_line(s);
      received.push_back(line);
      if (line.find(' ', 5) == std::string::npos) {
        co_await test::send(s, "334 \r\n");
        received.push_back(co_await test::receive_line(s));
      }
      co_await test::send(s, "235 2.7.0 Authentication successful\r\n");
      co_await test::drain(s);
    });
    Credentials user{"user", std::string(password, 'p')};
    auto status =
        with_connection(server.port(), [&](net::Connection& c) -> asio::awaitable<core::Status> {
          SmtpClient smtp(c);
          co_return co_await smtp.authenticate("PLAIN", user);
        });
    EXPECT_TRUE(status) << status.failure().message;
    auto response = sasl_plain(user);
    if (password == 366) {
      ASSERT_EQ(response.size(), 496u);
      ASSERT_EQ(received.size(), 1u);
      EXPECT_EQ(received[0], "AUTH PLAIN " + response);
    } else {
      ASSERT_EQ(response.size(), 500u);
      ASSERT_EQ(received.size(), 2u);
      EXPECT_EQ(received[0], "AUTH PLAIN");
      EXPECT_EQ(received[1], response);
      EXPECT_TRUE(transcript_has("C: <redacted>"));
    }
    EXPECT_FALSE(transcript_has(response));
  }
}

// A token of Entra ID's size (2.5 KB) and Postfix's answer to it when refused: the error
// document after the response, the dummy ^A, the 535.
TEST_F(AuthTest, SmtpLongTokenGoesAfterThe334AndItsRefusalIsTold) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "334 \r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "334 " + base64_encode(R"({"status":"invalid_token"})") + "\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "535 5.7.8 Error: authentication failed\r\n");
    co_await test::drain(s);
  });
  Credentials bearer{"user@example.test", "eyJ" + std::string(2500, 'x'), true, "mx.example.test",
                     587};
  auto status =
      with_connection(server.port(), [&](net::Connection& c) -> asio::awaitable<core::Status> {
        SmtpClient smtp(c);
        co_return co_await smtp.authenticate("OAUTHBEARER", bearer);
      });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.failure().message,
            "AUTH OAUTHBEARER failed: 535 5.7.8 Error: authentication failed (token refused: "
            "status invalid_token)");
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0], "AUTH OAUTHBEARER");
  EXPECT_EQ(received[1], sasl_oauthbearer(bearer));
  EXPECT_EQ(received[2], "AQ==");
  EXPECT_FALSE(transcript_has("xxxxxxxx"));
}

// RFC 5034 section 4: POP3's AUTH line stays within 255 octets; a token never fits.
TEST_F(AuthTest, Pop3LongTokenGoesAfterThePlus) {
  ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "+OK ready\r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "+ \r\n");
    received.push_back(co_await test::receive_line(s));
    co_await test::send(s, "+OK Logged in.\r\n");
    co_await test::drain(s);
  });
  Credentials bearer{"user@example.test", std::string(200, 't'), true};
  auto status =
      with_connection(server.port(), [&](net::Connection& c) -> asio::awaitable<core::Status> {
        Pop3Client pop3(c);
        co_await pop3.read_status({"greeting", "the greeting"});
        co_return co_await pop3.login(bearer, "XOAUTH2");
      });
  EXPECT_TRUE(status) << status.failure().message;
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0], "AUTH XOAUTH2");
  EXPECT_EQ(received[1], sasl_xoauth2(bearer));
  EXPECT_FALSE(transcript_has(std::string(20, 't')));
}

// IMAP: SASL-IR carries a token of any real size (RFC 4959 has no limit; Dovecot takes 64
// KiB lines); only a line over RFC 7162's 8192 octets waits for the "+".
TEST_F(AuthTest, ImapSaslIrUpToRfc7162sLineLength) {
  for (std::size_t length : {std::size_t{2500}, std::size_t{9000}}) {
    received.clear();
    ScriptedServer server(io, [this](tcp::socket s) -> asio::awaitable<void> {
      co_await test::send(s, "* OK ready\r\n");
      auto line = co_await test::receive_line(s);
      received.push_back(line);
      if (line == "mp1 AUTHENTICATE XOAUTH2") {
        co_await test::send(s, "+ \r\n");
        received.push_back(co_await test::receive_line(s));
      }
      co_await test::send(s, "mp1 OK done\r\n");
      co_await test::drain(s);
    });
    Credentials bearer{"user@example.test", std::string(length, 'j'), true};
    auto status =
        with_connection(server.port(), [&](net::Connection& c) -> asio::awaitable<core::Status> {
          ImapClient imap(c);
          co_await imap.read_greeting();
          std::vector<std::string> caps;
          caps.push_back("SASL-IR");
          co_return co_await imap.login(bearer, "XOAUTH2", caps);
        });
    EXPECT_TRUE(status) << status.failure().message;
    if (length == 2500) {
      ASSERT_EQ(received.size(), 1u);
      EXPECT_EQ(received[0], "mp1 AUTHENTICATE XOAUTH2 " + sasl_xoauth2(bearer));
    } else {
      ASSERT_EQ(received.size(), 2u);
      EXPECT_EQ(received[1], sasl_xoauth2(bearer));
    }
  }
}

TEST(ChooseAuth, TokensPreferOauthbearer) {
  SmtpCapabilities caps;
  caps.auth_methods = {"PLAIN", "XOAUTH2", "OAUTHBEARER"};
  EXPECT_EQ(*choose_auth_mechanism(caps, "", true), "OAUTHBEARER");
  caps.auth_methods = {"PLAIN"};
  EXPECT_EQ(choose_auth_mechanism(caps, "", true).failure().message,
            "the server offers no AUTH mechanism for a token (OAUTHBEARER, XOAUTH2) (it offers "
            "PLAIN)");
}

TEST(ChooseAuth, PrefersPlainThenLoginAndTokensUseXoauth2) {
  SmtpCapabilities caps;
  caps.auth_methods = {"LOGIN", "PLAIN", "XOAUTH2"};
  EXPECT_EQ(*choose_auth_mechanism(caps, "", false), "PLAIN");
  EXPECT_EQ(*choose_auth_mechanism(caps, "", true), "XOAUTH2");
  EXPECT_EQ(*choose_auth_mechanism(caps, "login", false), "LOGIN");
  caps.auth_methods = {"CRAM-MD5"};
  auto none = choose_auth_mechanism(caps, "", false);
  ASSERT_FALSE(none);
  EXPECT_EQ(
      none.failure().message,
      "the server offers no AUTH mechanism for a password (PLAIN, LOGIN) (it offers CRAM-MD5)");
  auto missing = choose_auth_mechanism(caps, "PLAIN", false);
  EXPECT_EQ(missing.failure().message, "the server does not offer AUTH PLAIN (it offers CRAM-MD5)");
}

}  // namespace
}  // namespace mailprobe::protocol
