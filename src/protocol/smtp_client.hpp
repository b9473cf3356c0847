#pragma once
// An SMTP/LMTP client on a net::Connection (RFC 5321, 3207 STARTTLS, 4954 AUTH, 2033 LMTP).
// It returns the server's replies; deciding what a reply means for a check is the probe's.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection.hpp"
#include "protocol/sasl.hpp"
#include "protocol/smtp_reply.hpp"

namespace mailprobe::protocol {

namespace asio = boost::asio;

class SmtpClient {
 public:
  explicit SmtpClient(net::Connection& connection) : connection_(connection) {}

  // Reads one whole reply, multi-line or not.
  asio::awaitable<core::Outcome<SmtpReply>> read_reply(net::Step step);

  // Sends `line` (CRLF appended) and reads the reply. `shown` replaces the line in the
  // transcript.
  asio::awaitable<core::Outcome<SmtpReply>> command(
      std::string_view line, net::Step step, std::optional<std::string_view> shown = std::nullopt);

  // EHLO (LHLO for LMTP) and the keywords it announces; an SMTP server that rejects EHLO
  // is greeted with HELO and has no extensions (RFC 5321 section 4.1.4).
  asio::awaitable<core::Outcome<SmtpCapabilities>> hello(std::string_view name, bool lmtp = false);

  // STARTTLS and the handshake. Phase "starttls" fails with kind `rejected` when the server
  // refuses.
  asio::awaitable<core::Outcome<net::TlsFacts>> starttls(net::TlsClientContext& context,
                                                         std::string server_name);

  // AUTH with PLAIN, LOGIN, XOAUTH2 or OAUTHBEARER. Fails with kind `rejected` and the
  // server's reply (and what its error document says of a refused token) when the
  // credentials are refused.
  asio::awaitable<core::Status> authenticate(std::string_view mechanism,
                                             const Credentials& credentials);

  // QUIT and its 221.
  asio::awaitable<core::Status> quit();

  // MAIL FROM, RCPT TO and DATA with `message` (dot-stuffed here, RFC 5321 section
  // 4.5.2). Returns the final reply to DATA; a refusal at any step fails (kind rejected)
  // with the server's reply.
  asio::awaitable<core::Outcome<SmtpReply>> send_mail(std::string_view from, std::string_view to,
                                                      std::string_view message);

 private:
  // AUTH `method` with its initial `response`: on the command line when the line fits, else
  // after the server's empty 334 (RFC 4954 section 4).
  asio::awaitable<core::Outcome<SmtpReply>> auth_command(const std::string& method,
                                                         const std::string& response,
                                                         net::Step step);

  net::Connection& connection_;
};

// RFC 5321 section 4.5.3.1.4: a command line is at most 512 octets, CRLF included. An AUTH
// command whose initial response would make it longer is sent without it (RFC 4954
// section 4): Postfix refuses AUTH lines over its line_length_limit (2048) as "Invalid
// base64 data in initial response", and a token of Entra ID alone is 1.5 to 2.5 KB. The
// response after the 334 may be much longer (12288 octets in RFC 4954 section 4 and
// Postfix's smtpd_sasl_response_limit).
constexpr std::size_t smtp_command_line_limit = 512;

// The mechanism to use: `requested` when given (it must be offered), else the best the
// server offers for the kind of secret: OAUTHBEARER, then XOAUTH2 for a token; PLAIN, then
// LOGIN for a password.
// Fails (phase "auth") when nothing fits.
core::Outcome<std::string> choose_auth_mechanism(const SmtpCapabilities& capabilities,
                                                 std::string_view requested, bool have_token);

}  // namespace mailprobe::protocol
