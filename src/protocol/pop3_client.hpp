#pragma once
// A POP3 client on a net::Connection (RFC 1939, 2449 CAPA, 2595 STLS, 5034 SASL).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::protocol {

namespace asio = boost::asio;

struct Pop3Status {
  enum class Kind { ok, error, continuation };  // "+OK", "-ERR", "+ " (SASL)
  Kind kind = Kind::ok;
  std::string text;  // after the status indicator
  std::string line;  // the whole line
  bool ok() const { return kind == Kind::ok; }
};

// RFC 2449 section 4: a POP3 command line is at most 255 octets, CRLF included.
constexpr std::size_t pop3_command_line_limit = 255;

// The SASL mechanisms CAPA's lines offer (its "SASL ..." line, RFC 5034 section 5).
std::vector<std::string> sasl_mechanisms_of_capa(const std::vector<std::string>& capa_lines);

// I/O-free; nullopt when the line is none of "+OK", "-ERR" or a SASL continuation.
std::optional<Pop3Status> parse_pop3_status(std::string_view line);

class Pop3Client {
 public:
  // At most this many lines, and bytes, in a multi-line answer (CAPA, LIST, UIDL, TOP): it
  // is held in memory whole. A UIDL line is about 30 bytes, a message's header a few KiB.
  static constexpr std::size_t max_multiline = 100000;
  static constexpr std::size_t max_multiline_bytes = std::size_t{2} << 20;

  explicit Pop3Client(net::Connection& connection) : connection_(connection) {}

  asio::awaitable<core::Outcome<Pop3Status>> read_status(net::Step step);
  // Sends `line` + CRLF and reads the status line.
  asio::awaitable<core::Outcome<Pop3Status>> command(
      std::string_view line, net::Step step, std::optional<std::string_view> shown = std::nullopt);
  // The lines of a multi-line answer after its +OK, dot-unstuffed, without the final ".".
  asio::awaitable<core::Outcome<std::vector<std::string>>> read_multiline(net::Step step);

  // CAPA; a server without CAPA (-ERR) has no announced capabilities.
  asio::awaitable<core::Outcome<std::vector<std::string>>> capabilities();
  asio::awaitable<core::Outcome<net::TlsFacts>> stls(net::TlsClientContext& context,
                                                     std::string server_name);
  // USER/PASS, or AUTH PLAIN / XOAUTH2 / OAUTHBEARER (mechanism "PLAIN", "XOAUTH2",
  // "OAUTHBEARER"). Kind `rejected` with the server's answer when refused.
  asio::awaitable<core::Status> login(const Credentials& credentials, std::string_view mechanism);
  asio::awaitable<core::Status> quit();

  struct Listed {
    std::uint32_t number = 0;  // message number in this session
    std::string uid;           // UIDL: stable across sessions
  };
  // UIDL (RFC 1939 section 7): every message with its unique id.
  asio::awaitable<core::Outcome<std::vector<Listed>>> uidl();
  // TOP n 0: the header of message `number`, lines joined with CRLF.
  asio::awaitable<core::Outcome<std::string>> headers(std::uint32_t number);
  // DELE n: marked for deletion, removed when the session ends with QUIT.
  asio::awaitable<core::Status> dele(std::uint32_t number);

 private:
  net::Connection& connection_;
};

}  // namespace mailprobe::protocol
