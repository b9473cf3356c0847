#include "protocol/pop3_client.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

#include "core/ascii.hpp"
#include "core/format.hpp"

namespace mailprobe::protocol {

namespace {
core::Failure rejected(std::string_view phase, std::string what, const Pop3Status& status) {
  return {std::string(phase), core::FailureKind::rejected, what + ": " + status.line};
}
}  // namespace

std::vector<std::string> sasl_mechanisms_of_capa(const std::vector<std::string>& capa_lines) {
  std::vector<std::string> mechanisms;
  for (const auto& line : capa_lines) {
    std::istringstream words(line);
    std::string word;
    words >> word;
    if (word != "SASL") continue;
    while (words >> word)
      mechanisms.push_back(word);
  }
  return mechanisms;
}

std::optional<Pop3Status> parse_pop3_status(std::string_view line) {
  Pop3Status status;
  status.line = std::string(line);
  auto rest_after = [&](std::size_t n) {
    auto rest = line.substr(n);
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return std::string(rest);
  };
  if (line.rfind("+OK", 0) == 0 && (line.size() == 3 || line[3] == ' ')) {
    status.kind = Pop3Status::Kind::ok;
    status.text = rest_after(3);
    return status;
  }
  if (line.rfind("-ERR", 0) == 0 && (line.size() == 4 || line[4] == ' ')) {
    status.kind = Pop3Status::Kind::error;
    status.text = rest_after(4);
    return status;
  }
  if (line == "+" || line.rfind("+ ", 0) == 0) {
    status.kind = Pop3Status::Kind::continuation;
    status.text = rest_after(1);
    return status;
  }
  return std::nullopt;
}

asio::awaitable<core::Outcome<Pop3Status>> Pop3Client::read_status(net::Step step) {
  auto line = co_await connection_.read_line(step);
  if (!line) co_return line.failure();
  auto status = parse_pop3_status(*line);
  if (!status) {
    co_return core::Failure{
        std::string(step.phase), core::FailureKind::protocol,
        "unexpected answer to " + std::string(step.what) + ": '" + line->substr(0, 200) + "'"};
  }
  co_return std::move(*status);
}

asio::awaitable<core::Outcome<Pop3Status>> Pop3Client::command(
    std::string_view line, net::Step step, std::optional<std::string_view> shown) {
  std::string wire(line);
  wire += "\r\n";
  auto sent = co_await connection_.write(wire, step, shown);
  if (!sent) co_return sent.failure();
  co_return co_await read_status(step);
}

asio::awaitable<core::Outcome<std::vector<std::string>>> Pop3Client::read_multiline(
    net::Step step) {
  std::vector<std::string> lines;
  std::size_t bytes = 0;
  for (;;) {
    auto line = co_await connection_.read_line(step);
    if (!line) co_return line.failure();
    if (*line == ".") co_return lines;
    bytes += line->size() + 2;
    if (lines.size() >= max_multiline) {
      co_return core::Failure{std::string(step.phase), core::FailureKind::protocol,
                              "answer to " + std::string(step.what) + " longer than " +
                                  std::to_string(max_multiline) + " lines"};
    }
    if (bytes > max_multiline_bytes) {
      co_return core::Failure{std::string(step.phase), core::FailureKind::protocol,
                              "answer to " + std::string(step.what) + " larger than " +
                                  core::format_size(max_multiline_bytes) +
                                  " (mailprobe's limit for one POP3 answer)"};
    }
    // RFC 1939 section 3: a leading "." of a data line is doubled.
    if (!line->empty() && line->front() == '.') line->erase(0, 1);
    lines.push_back(std::move(*line));
  }
}

asio::awaitable<core::Outcome<std::vector<std::string>>> Pop3Client::capabilities() {
  constexpr net::Step step{"capa", "the reply to CAPA"};
  auto status = co_await command("CAPA", step);
  if (!status) co_return status.failure();
  if (!status->ok()) co_return std::vector<std::string>{};
  co_return co_await read_multiline(step);
}

asio::awaitable<core::Outcome<net::TlsFacts>> Pop3Client::stls(net::TlsClientContext& context,
                                                               std::string server_name) {
  auto status = co_await command("STLS", {"starttls", "the reply to STLS"});
  if (!status) co_return status.failure();
  if (!status->ok()) co_return rejected("starttls", "STLS rejected", *status);
  co_return co_await connection_.start_tls(context, std::move(server_name));
}

asio::awaitable<core::Status> Pop3Client::login(const Credentials& credentials,
                                                std::string_view mechanism) {
  constexpr net::Step step{"auth", "the reply to the login"};
  auto method = core::ascii_upper(mechanism);
  if (method.empty() || method == "USER") {
    auto user = co_await command("USER " + credentials.user, step);
    if (!user) co_return user.failure();
    if (!user->ok()) co_return rejected("auth", "USER rejected", *user);
    auto pass = co_await command("PASS " + credentials.secret, step, "PASS <redacted>");
    if (!pass) co_return pass.failure();
    if (!pass->ok()) co_return rejected("auth", "login failed", *pass);
    co_return core::success();
  }
  bool bearer = is_bearer_mechanism(method);
  if (method != "PLAIN" && !bearer) {
    co_return core::Failure{"auth", core::FailureKind::config,
                            "unsupported POP3 login mechanism " + method +
                                " (supported: USER, PLAIN, XOAUTH2, OAUTHBEARER)"};
  }
  auto response = method == "PLAIN"     ? sasl_plain(credentials)
                  : method == "XOAUTH2" ? sasl_xoauth2(credentials)
                                        : sasl_oauthbearer(credentials);
  // RFC 5034 section 4: an initial response that would make the AUTH command longer than
  // POP3's command line (255 octets with the CRLF, RFC 2449 section 4) is not sent with
  // it, but after the server's "+" (a bearer token always is: it is longer).
  std::string line = "AUTH " + method + " " + response;
  bool initial_response = line.size() + 2 <= pop3_command_line_limit;
  if (!initial_response) line = "AUTH " + method;
  // Named, not a conditional expression: GCC 12 destroys its temporaries in a co_await twice.
  std::string shown = initial_response ? "AUTH " + method + " <redacted>" : line;
  auto answer = co_await command(line, step, shown);
  bool answered = initial_response;
  std::string refusal;
  for (int round = 0; round < 2 && answer && answer->kind == Pop3Status::Kind::continuation;
       ++round) {
    if (!answered || (method == "PLAIN" && round == 0)) {
      // The go-ahead for the response; PLAIN: also a server that did not take the initial
      // response and asks for it.
      answer = co_await command(response, step, "<redacted>");
      answered = true;
    } else {
      // A bearer token: the server sent its error document (RFC 7628 section 3.2.2) and
      // waits for the client's dummy response.
      refusal = describe_bearer_failure(answer->text);
      answer = co_await command(bearer_failure_response(method), step);
    }
  }
  if (!answer) co_return answer.failure();
  if (!answer->ok()) {
    auto failure = rejected("auth", "AUTH " + method + " failed", *answer);
    if (!refusal.empty()) failure.message += " (" + refusal + ")";
    co_return failure;
  }
  co_return core::success();
}

asio::awaitable<core::Outcome<std::vector<Pop3Client::Listed>>> Pop3Client::uidl() {
  constexpr net::Step step{"list", "the reply to UIDL"};
  auto status = co_await command("UIDL", step);
  if (!status) co_return status.failure();
  if (!status->ok()) co_return rejected("list", "UIDL rejected", *status);
  auto lines = co_await read_multiline(step);
  if (!lines) co_return lines.failure();
  std::vector<Listed> listed;
  for (const auto& line : *lines) {
    Listed entry;
    auto space = line.find(' ');
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), entry.number);
    if (space == std::string::npos || ec != std::errc{}) {
      co_return core::Failure{"list", core::FailureKind::protocol,
                              "unexpected UIDL line: '" + line.substr(0, 100) + "'"};
    }
    entry.uid = line.substr(space + 1);
    listed.push_back(std::move(entry));
  }
  co_return listed;
}

asio::awaitable<core::Outcome<std::string>> Pop3Client::headers(std::uint32_t number) {
  constexpr net::Step step{"fetch", "the reply to TOP"};
  auto status = co_await command("TOP " + std::to_string(number) + " 0", step);
  if (!status) co_return status.failure();
  if (!status->ok()) co_return rejected("fetch", "TOP rejected", *status);
  auto lines = co_await read_multiline(step);
  if (!lines) co_return lines.failure();
  std::string header;
  for (const auto& line : *lines)
    header += line + "\r\n";
  co_return header;
}

asio::awaitable<core::Status> Pop3Client::dele(std::uint32_t number) {
  auto status = co_await command("DELE " + std::to_string(number), {"delete", "the reply to DELE"});
  if (!status) co_return status.failure();
  if (!status->ok()) co_return rejected("delete", "DELE rejected", *status);
  co_return core::success();
}

asio::awaitable<core::Status> Pop3Client::quit() {
  auto status = co_await command("QUIT", {"quit", "the reply to QUIT"});
  if (!status) co_return status.failure();
  if (!status->ok()) co_return rejected("quit", "QUIT answered", *status);
  co_return core::success();
}

}  // namespace mailprobe::protocol
