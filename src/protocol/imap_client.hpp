#pragma once
// An IMAP client on a net::Connection (RFC 9051/3501, 2595 STARTTLS, 4959 SASL-IR).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection.hpp"
#include "protocol/imap_parse.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::protocol {

namespace asio = boost::asio;

// A command argument: an atom as it is, or a string that is quoted or sent as a literal.
struct ImapArgument {
  std::string value;
  bool is_string = true;
  bool secret = false;  // redacted in the transcript
};

class ImapClient {
 public:
  // Bounds that keep a hostile server from growing an answer without limit: all that one
  // command brings back (its untagged responses, their literals, the completion) is held
  // in memory at once, and no check needs more than a few KiB of it. The round trip's
  // FETCH of probe headers is the largest: about 300 bytes a probe.
  static constexpr std::size_t max_answer_bytes = std::size_t{1} << 20;
  static constexpr std::size_t max_untagged = 100000;

  struct Exchange {
    ImapResponse done;                   // the tagged completion
    std::vector<ImapResponse> untagged;  // everything the server said before it
  };

  explicit ImapClient(net::Connection& connection) : connection_(connection) {}

  // The greeting: OK or PREAUTH; BYE fails with kind `rejected`.
  asio::awaitable<core::Outcome<ImapResponse>> read_greeting();
  // One response line with the literals that follow it.
  asio::awaitable<core::Outcome<ImapResponse>> read_response(net::Step step);
  // Sends "<tag> <verb> <arguments>" and reads until its tagged completion.
  asio::awaitable<core::Outcome<Exchange>> command(std::string_view verb,
                                                   std::vector<ImapArgument> arguments,
                                                   net::Step step);

  // Capabilities from the greeting's [CAPABILITY ...] code, or by asking.
  asio::awaitable<core::Outcome<std::vector<std::string>>> capabilities();
  asio::awaitable<core::Outcome<net::TlsFacts>> starttls(net::TlsClientContext& context,
                                                         std::string server_name);
  // LOGIN (mechanism "" or "LOGIN") or AUTHENTICATE PLAIN / XOAUTH2 / OAUTHBEARER, with
  // SASL-IR when `capabilities` has it.
  asio::awaitable<core::Status> login(const Credentials& credentials, std::string_view mechanism,
                                      const std::vector<std::string>& capabilities);
  asio::awaitable<core::Status> logout();

  // RFC 2177 IDLE, in three steps so that the caller can look up between waits:
  // start it, wait (repeatedly) until the server announces new messages (EXISTS) or
  // `until`, and end it with DONE.
  asio::awaitable<core::Status> idle_start();
  // True when new messages were announced before `until`; the IDLE stays on either way.
  asio::awaitable<core::Outcome<bool>> idle_wait(std::chrono::steady_clock::time_point until);
  // DONE; true when the server announced new messages before completing the IDLE (it
  // brings the mailbox up to date before the tagged OK).
  asio::awaitable<core::Outcome<bool>> idle_done();

  // Capabilities announced in the greeting, if it carried them.
  const std::vector<std::string>& greeting_capabilities() const { return greeting_caps_; }

 private:
  std::string next_tag();
  core::Failure completion_failure(std::string_view phase, std::string_view what,
                                   const ImapResponse& done) const;

  net::Connection& connection_;
  std::size_t answer_bytes_ = 0;  // of the answer being read, against max_answer_bytes
  unsigned tag_counter_ = 0;
  std::string idle_tag_;
  std::vector<std::string> greeting_caps_;
};

bool has_capability(const std::vector<std::string>& capabilities, std::string_view name);
// The SASL mechanisms a CAPABILITY list offers (its AUTH=... entries, RFC 9051 section 6.2.2).
std::vector<std::string> sasl_mechanisms(const std::vector<std::string>& capabilities);

// RFC 7162 section 4: clients keep command lines to about 8192 octets.
constexpr std::size_t imap_command_line_limit = 8192;

}  // namespace mailprobe::protocol
