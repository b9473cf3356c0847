#include "protocol/imap_client.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "core/format.hpp"

namespace mailprobe::protocol {

namespace {
core::Failure malformed(net::Step step, std::string_view line) {
  return {std::string(step.phase), core::FailureKind::protocol,
          "unexpected answer to " + std::string(step.what) + ": '" +
              std::string(line.substr(0, 200)) + "'"};
}
}  // namespace

bool has_capability(const std::vector<std::string>& capabilities, std::string_view name) {
  return std::find(capabilities.begin(), capabilities.end(), name) != capabilities.end();
}

std::vector<std::string> sasl_mechanisms(const std::vector<std::string>& capabilities) {
  std::vector<std::string> mechanisms;
  for (const auto& capability : capabilities) {
    if (capability.rfind("AUTH=", 0) == 0) mechanisms.push_back(capability.substr(5));
  }
  return mechanisms;
}

std::string ImapClient::next_tag() {
  return "mp" + std::to_string(++tag_counter_);
}

core::Failure ImapClient::completion_failure(std::string_view phase, std::string_view what,
                                             const ImapResponse& done) const {
  return {std::string(phase), core::FailureKind::rejected,
          std::string(what) + ": " + done.status + " " + done.text};
}

asio::awaitable<core::Outcome<ImapResponse>> ImapClient::read_response(net::Step step) {
  auto too_big = [&](std::size_t more) -> std::optional<core::Failure> {
    answer_bytes_ += more;
    if (answer_bytes_ <= max_answer_bytes) return std::nullopt;
    return core::Failure{std::string(step.phase), core::FailureKind::protocol,
                         std::string(step.what) + " is larger than " +
                             core::format_size(max_answer_bytes) +
                             " (mailprobe's limit for one IMAP answer)"};
  };
  auto line = co_await connection_.read_line(step);
  if (!line) co_return line.failure();
  auto response = parse_imap_line(*line);
  if (!response) co_return malformed(step, *line);
  if (auto over = too_big(line->size())) co_return *over;
  // A line ending in {n} is followed by n octets and the rest of the response
  // (RFC 9051 section 4.3). The size is judged before any of them is read.
  std::string current = *line;
  while (auto size = trailing_literal_size(current)) {
    if (auto over = too_big(*size)) co_return *over;
    auto literal = co_await connection_.read_bytes(*size, step);
    if (!literal) co_return literal.failure();
    response->literals.push_back(std::move(*literal));
    auto rest = co_await connection_.read_line(step);
    if (!rest) co_return rest.failure();
    if (auto over = too_big(rest->size())) co_return *over;
    current = *rest;
    response->line += " " + current;
  }
  co_return std::move(*response);
}

asio::awaitable<core::Outcome<ImapResponse>> ImapClient::read_greeting() {
  constexpr net::Step step{"greeting", "the IMAP greeting"};
  answer_bytes_ = 0;
  auto greeting = co_await read_response(step);
  if (!greeting) co_return greeting.failure();
  if (greeting->kind != ImapResponse::Kind::untagged ||
      (greeting->status != "OK" && greeting->status != "PREAUTH" && greeting->status != "BYE")) {
    co_return malformed(step, greeting->line);
  }
  if (greeting->status == "BYE") {
    co_return core::Failure{"greeting", core::FailureKind::rejected,
                            "server refused the connection: " + greeting->line};
  }
  if (greeting->code.rfind("CAPABILITY ", 0) == 0) {
    greeting_caps_ = parse_capability_list(greeting->code);
  }
  co_return std::move(*greeting);
}

asio::awaitable<core::Outcome<ImapClient::Exchange>> ImapClient::command(
    std::string_view verb, std::vector<ImapArgument> arguments, net::Step step) {
  auto tag = next_tag();
  answer_bytes_ = 0;
  std::string wire = tag + " " + std::string(verb);
  std::string shown = wire;
  for (const auto& argument : arguments) {
    std::string shown_value = argument.secret ? "<redacted>" : argument.value;
    if (!argument.is_string) {
      wire += " " + argument.value;
      shown += " " + shown_value;
      continue;
    }
    if (auto quoted = imap_quote(argument.value)) {
      wire += " " + *quoted;
      shown += " " + (argument.secret ? shown_value : *quoted);
      continue;
    }
    // A synchronizing literal: announce the size, wait for "+", then send the octets.
    wire += " {" + std::to_string(argument.value.size()) + "}\r\n";
    shown += " {" + std::to_string(argument.value.size()) + "}";
    auto sent = co_await connection_.write(wire, step, shown);
    if (!sent) co_return sent.failure();
    auto go_ahead = co_await read_response(step);
    if (!go_ahead) co_return go_ahead.failure();
    if (go_ahead->kind != ImapResponse::Kind::continuation) {
      co_return completion_failure(step.phase, std::string(verb) + " rejected", *go_ahead);
    }
    wire = argument.value;
    shown = shown_value;
  }
  wire += "\r\n";
  auto sent = co_await connection_.write(wire, step, shown);
  if (!sent) co_return sent.failure();

  Exchange exchange;
  for (;;) {
    auto response = co_await read_response(step);
    if (!response) co_return response.failure();
    if (response->kind == ImapResponse::Kind::tagged) {
      if (response->tag != tag) co_return malformed(step, response->line);
      exchange.done = std::move(*response);
      co_return exchange;
    }
    if (response->kind == ImapResponse::Kind::continuation)
      co_return malformed(step, response->line);
    if (exchange.untagged.size() >= max_untagged) {
      co_return core::Failure{std::string(step.phase), core::FailureKind::protocol,
                              "more than " + std::to_string(max_untagged) +
                                  " untagged responses to " + std::string(step.what)};
    }
    exchange.untagged.push_back(std::move(*response));
  }
}

asio::awaitable<core::Outcome<std::vector<std::string>>> ImapClient::capabilities() {
  constexpr net::Step step{"capability", "the reply to CAPABILITY"};
  auto exchange = co_await command("CAPABILITY", {}, step);
  if (!exchange) co_return exchange.failure();
  if (!exchange->done.ok())
    co_return completion_failure("capability", "CAPABILITY failed", exchange->done);
  std::vector<std::string> caps;
  for (const auto& response : exchange->untagged) {
    if (response.text.rfind("CAPABILITY ", 0) == 0) {
      auto more = parse_capability_list(response.text);
      caps.insert(caps.end(), more.begin(), more.end());
    }
  }
  if (caps.empty() && exchange->done.code.rfind("CAPABILITY ", 0) == 0) {
    caps = parse_capability_list(exchange->done.code);
  }
  co_return caps;
}

asio::awaitable<core::Outcome<net::TlsFacts>> ImapClient::starttls(net::TlsClientContext& context,
                                                                   std::string server_name) {
  auto exchange = co_await command("STARTTLS", {}, {"starttls", "the reply to STARTTLS"});
  if (!exchange) co_return exchange.failure();
  if (!exchange->done.ok())
    co_return completion_failure("starttls", "STARTTLS rejected", exchange->done);
  // Capabilities before TLS mean nothing afterwards (RFC 9051 section 6.2.1).
  greeting_caps_.clear();
  co_return co_await connection_.start_tls(context, std::move(server_name));
}

asio::awaitable<core::Status> ImapClient::login(const Credentials& credentials,
                                                std::string_view mechanism,
                                                const std::vector<std::string>& capabilities) {
  constexpr net::Step step{"auth", "the reply to the login"};
  auto method = core::ascii_upper(mechanism);
  if (method.empty() || method == "LOGIN") {
    if (has_capability(capabilities, "LOGINDISABLED")) {
      co_return core::Failure{
          "auth", core::FailureKind::rejected,
          "the server disables LOGIN here (LOGINDISABLED); use TLS or STARTTLS"};
    }
    // Built element by element: GCC 12 mishandles initializer lists in coroutines.
    std::vector<ImapArgument> arguments;
    arguments.push_back({credentials.user, true, false});
    arguments.push_back({credentials.secret, true, true});
    auto exchange = co_await command("LOGIN", std::move(arguments), step);
    if (!exchange) co_return exchange.failure();
    if (!exchange->done.ok()) co_return completion_failure("auth", "LOGIN failed", exchange->done);
    co_return core::success();
  }
  if (method != "PLAIN" && !is_bearer_mechanism(method)) {
    co_return core::Failure{"auth", core::FailureKind::config,
                            "unsupported IMAP login mechanism " + method +
                                " (supported: LOGIN, PLAIN, XOAUTH2, OAUTHBEARER)"};
  }
  auto response = method == "PLAIN"     ? sasl_plain(credentials)
                  : method == "XOAUTH2" ? sasl_xoauth2(credentials)
                                        : sasl_oauthbearer(credentials);
  std::string refusal;  // what the error document of a refused token says
  auto failed = "AUTHENTICATE " + method + " failed";
  // With SASL-IR the response rides on the command (RFC 4959); without, it goes after the
  // server's "+" (RFC 9051 section 6.2.2). RFC 4959 sets no length limit of its own, and a
  // token fits (Dovecot takes lines of 64 KiB); a response that would make the line longer
  // than RFC 7162 section 4 asks clients to stay within goes after the "+" all the same.
  auto tag = next_tag();
  answer_bytes_ = 0;
  std::string line = tag + " AUTHENTICATE " + method;
  bool initial_response = has_capability(capabilities, "SASL-IR") &&
                          line.size() + 1 + response.size() + 2 <= imap_command_line_limit;
  // Named, not temporaries: GCC 12 destroys temporaries of a conditional expression inside
  // a co_await twice.
  std::string wire = line + (initial_response ? " " + response : std::string()) + "\r\n";
  std::string shown = line + (initial_response ? " <redacted>" : "");
  auto sent = co_await connection_.write(wire, step, shown);
  if (!sent) co_return sent.failure();
  bool answered = initial_response;
  for (std::size_t i = 0; i < max_untagged; ++i) {
    auto reply = co_await read_response(step);
    if (!reply) co_return reply.failure();
    if (reply->kind == ImapResponse::Kind::continuation) {
      // Either the go-ahead for the response, or (a bearer token) an error document that
      // wants the client's dummy response before the tagged NO (RFC 7628 section 3.2.2).
      if (answered) {
        refusal = describe_bearer_failure(reply->text);
        auto dummy = bearer_failure_response(method) + "\r\n";
        sent = co_await connection_.write(dummy, step);
      } else {
        sent = co_await connection_.write(response + "\r\n", step, "<redacted>");
      }
      if (!sent) co_return sent.failure();
      answered = true;
      continue;
    }
    if (reply->kind != ImapResponse::Kind::tagged) continue;
    if (reply->tag != tag) co_return malformed(step, reply->line);
    if (!reply->ok()) {
      auto failure = completion_failure("auth", failed, *reply);
      if (!refusal.empty()) failure.message += " (" + refusal + ")";
      co_return failure;
    }
    co_return core::success();
  }
  co_return malformed(step, "endless untagged responses");
}

namespace {
bool announces_new_mail(const ImapResponse& response) {
  // "* 12 EXISTS": the mailbox grew (RFC 9051 section 7.4.1).
  const auto& text = response.text;
  return response.kind == ImapResponse::Kind::untagged && text.size() > 7 &&
         text.compare(text.size() - 7, 7, " EXISTS") == 0;
}
}  // namespace

asio::awaitable<core::Status> ImapClient::idle_start() {
  constexpr net::Step step{"idle", "the reply to IDLE"};
  idle_tag_ = next_tag();
  answer_bytes_ = 0;
  auto sent = co_await connection_.write(idle_tag_ + " IDLE\r\n", step);
  if (!sent) co_return sent.failure();
  for (std::size_t i = 0; i < max_untagged; ++i) {
    auto response = co_await read_response(step);
    if (!response) co_return response.failure();
    if (response->kind == ImapResponse::Kind::continuation) co_return core::success();
    if (response->kind == ImapResponse::Kind::tagged) {
      co_return completion_failure("idle", "IDLE rejected", *response);
    }
  }
  co_return malformed(step, "endless untagged responses");
}

asio::awaitable<core::Outcome<bool>> ImapClient::idle_wait(
    std::chrono::steady_clock::time_point until) {
  constexpr net::Step step{"idle", "the IDLE notification"};
  for (std::size_t i = 0; i < max_untagged; ++i) {
    auto line = co_await connection_.read_line_until(step, until);
    if (!line) co_return line.failure();
    if (!*line) co_return false;  // the window ended without news
    auto response = parse_imap_line(**line);
    if (!response) co_return malformed(step, **line);
    if (announces_new_mail(*response)) co_return true;
  }
  co_return malformed(step, "endless untagged responses");
}

asio::awaitable<core::Outcome<bool>> ImapClient::idle_done() {
  constexpr net::Step step{"idle", "the reply to DONE"};
  auto sent = co_await connection_.write("DONE\r\n", step);
  if (!sent) co_return sent.failure();
  answer_bytes_ = 0;
  bool announced = false;
  for (std::size_t i = 0; i < max_untagged; ++i) {
    auto response = co_await read_response(step);
    if (!response) co_return response.failure();
    if (response->kind != ImapResponse::Kind::tagged) {
      announced = announced || announces_new_mail(*response);
      continue;
    }
    if (response->tag != idle_tag_) co_return malformed(step, response->line);
    if (!response->ok()) co_return completion_failure("idle", "IDLE failed", *response);
    co_return announced;
  }
  co_return malformed(step, "endless untagged responses");
}

asio::awaitable<core::Status> ImapClient::logout() {
  auto exchange = co_await command("LOGOUT", {}, {"quit", "the reply to LOGOUT"});
  if (!exchange) co_return exchange.failure();
  if (!exchange->done.ok()) co_return completion_failure("quit", "LOGOUT failed", exchange->done);
  co_return core::success();
}

}  // namespace mailprobe::protocol
