#include "protocol/smtp_client.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"

namespace mailprobe::protocol {

namespace {

core::Failure malformed(net::Step step, const std::string& error) {
  return {std::string(step.phase), core::FailureKind::protocol,
          "unexpected answer to " + std::string(step.what) + ": " + error};
}

core::Failure rejected(std::string_view phase, std::string_view what, const SmtpReply& reply) {
  return {std::string(phase), core::FailureKind::rejected,
          std::string(what) + ": " + reply.first_line()};
}

}  // namespace

asio::awaitable<core::Outcome<SmtpReply>> SmtpClient::read_reply(net::Step step) {
  SmtpReplyParser parser;
  for (;;) {
    auto line = co_await connection_.read_line(step);
    if (!line) co_return line.failure();
    switch (parser.feed(std::move(*line))) {
      case SmtpReplyParser::Status::more:
        break;
      case SmtpReplyParser::Status::complete:
        co_return std::move(parser.reply());
      case SmtpReplyParser::Status::malformed:
        co_return malformed(step, parser.error());
    }
  }
}

asio::awaitable<core::Outcome<SmtpReply>> SmtpClient::command(
    std::string_view line, net::Step step, std::optional<std::string_view> shown) {
  std::string wire(line);
  wire += "\r\n";
  auto sent = co_await connection_.write(wire, step, shown);
  if (!sent) co_return sent.failure();
  co_return co_await read_reply(step);
}

asio::awaitable<core::Outcome<SmtpCapabilities>> SmtpClient::hello(std::string_view name,
                                                                   bool lmtp) {
  std::string verb = lmtp ? "LHLO " : "EHLO ";
  auto reply = co_await command(verb + std::string(name), {"ehlo", "the reply to EHLO"});
  if (!reply) co_return reply.failure();
  if (reply->code == 250) co_return parse_ehlo(*reply);
  if (lmtp || reply->code < 500) co_return rejected("ehlo", verb + "rejected", *reply);
  auto helo = co_await command("HELO " + std::string(name), {"ehlo", "the reply to HELO"});
  if (!helo) co_return helo.failure();
  if (helo->code != 250) co_return rejected("ehlo", "HELO rejected", *helo);
  co_return SmtpCapabilities{};
}

asio::awaitable<core::Outcome<net::TlsFacts>> SmtpClient::starttls(net::TlsClientContext& context,
                                                                   std::string server_name) {
  auto reply = co_await command("STARTTLS", {"starttls", "the reply to STARTTLS"});
  if (!reply) co_return reply.failure();
  if (reply->code != 220) co_return rejected("starttls", "STARTTLS rejected", *reply);
  co_return co_await connection_.start_tls(context, std::move(server_name));
}

asio::awaitable<core::Outcome<SmtpReply>> SmtpClient::auth_command(const std::string& method,
                                                                   const std::string& response,
                                                                   net::Step step) {
  std::string line = "AUTH " + method + " " + response;
  if (line.size() + 2 <= smtp_command_line_limit) {
    co_return co_await command(line, step, "AUTH " + method + " <redacted>");
  }
  auto go_ahead = co_await command("AUTH " + method, step);
  if (!go_ahead || go_ahead->code != 334) co_return go_ahead;
  co_return co_await command(response, step, "<redacted>");
}

asio::awaitable<core::Status> SmtpClient::authenticate(std::string_view mechanism,
                                                       const Credentials& credentials) {
  constexpr net::Step step{"auth", "the reply to AUTH"};
  auto method = core::ascii_upper(mechanism);
  core::Outcome<SmtpReply> reply = SmtpReply{};
  std::string refusal;  // what the error document of a refused token says
  if (method == "PLAIN") {
    reply = co_await auth_command(method, sasl_plain(credentials), step);
  } else if (method == "XOAUTH2" || method == "OAUTHBEARER") {
    auto response = method == "XOAUTH2" ? sasl_xoauth2(credentials) : sasl_oauthbearer(credentials);
    reply = co_await auth_command(method, response, step);
    // On failure the server sends a 334 with an error document (RFC 7628 section 3.2.2)
    // and waits for the client's dummy response before its final 5xx.
    if (reply && reply->code == 334) {
      auto text = reply->first_line();
      refusal = describe_bearer_failure(text.size() > 4 ? text.substr(4) : "");
      reply = co_await command(bearer_failure_response(method), step);
    }
  } else if (method == "LOGIN") {
    reply = co_await command("AUTH LOGIN", step);
    if (reply && reply->code == 334) {
      reply = co_await command(base64_encode(credentials.user), step);
    }
    if (reply && reply->code == 334) {
      reply = co_await command(base64_encode(credentials.secret), step, "<redacted>");
    }
  } else {
    co_return core::Failure{"auth", core::FailureKind::config,
                            "unsupported AUTH mechanism " + method +
                                " (supported: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER)"};
  }
  if (!reply) co_return reply.failure();
  if (reply->code != 235) {
    auto failure = rejected("auth", "AUTH " + method + " failed", *reply);
    if (!refusal.empty()) failure.message += " (" + refusal + ")";
    co_return failure;
  }
  co_return core::success();
}

asio::awaitable<core::Status> SmtpClient::quit() {
  auto reply = co_await command("QUIT", {"quit", "the reply to QUIT"});
  if (!reply) co_return reply.failure();
  if (reply->code != 221) co_return rejected("quit", "QUIT answered", *reply);
  co_return core::success();
}

asio::awaitable<core::Outcome<SmtpReply>> SmtpClient::send_mail(std::string_view from,
                                                                std::string_view to,
                                                                std::string_view message) {
  auto mail =
      co_await command("MAIL FROM:<" + std::string(from) + ">", {"mail", "the reply to MAIL FROM"});
  if (!mail) co_return mail.failure();
  if (mail->code != 250) co_return rejected("mail", "MAIL FROM rejected", *mail);
  auto rcpt =
      co_await command("RCPT TO:<" + std::string(to) + ">", {"rcpt", "the reply to RCPT TO"});
  if (!rcpt) co_return rcpt.failure();
  if (rcpt->code != 250 && rcpt->code != 251) co_return rejected("rcpt", "RCPT TO rejected", *rcpt);
  auto data = co_await command("DATA", {"data", "the reply to DATA"});
  if (!data) co_return data.failure();
  if (data->code != 354) co_return rejected("data", "DATA rejected", *data);
  std::string body;
  body.reserve(message.size() + 16);
  bool line_start = true;
  for (char c : message) {
    if (line_start && c == '.') body += '.';
    body += c;
    line_start = c == '\n';
  }
  if (!body.empty() && body.back() != '\n') body += "\r\n";
  body += ".\r\n";
  auto sent = co_await connection_.write(body, {"data", "the message"},
                                         "<message of " + std::to_string(body.size()) + " bytes>");
  if (!sent) co_return sent.failure();
  auto accepted = co_await read_reply({"data", "the reply to the message"});
  if (!accepted) co_return accepted.failure();
  if (accepted->code != 250) co_return rejected("data", "message rejected", *accepted);
  co_return std::move(*accepted);
}

core::Outcome<std::string> choose_auth_mechanism(const SmtpCapabilities& capabilities,
                                                 std::string_view requested, bool have_token) {
  std::string offered;
  for (const auto& method : capabilities.auth_methods) {
    offered += (offered.empty() ? "" : " ") + method;
  }
  if (capabilities.auth_methods.empty()) {
    return core::Failure{"auth", core::FailureKind::rejected,
                         "the server offers no AUTH mechanism in its EHLO reply"};
  }
  if (!requested.empty()) {
    auto wanted = core::ascii_upper(requested);
    if (capabilities.offers_auth(wanted)) return wanted;
    return core::Failure{
        "auth", core::FailureKind::rejected,
        "the server does not offer AUTH " + wanted + " (it offers " + offered + ")"};
  }
  std::vector<std::string> preference = have_token
                                            ? std::vector<std::string>{"OAUTHBEARER", "XOAUTH2"}
                                            : std::vector<std::string>{"PLAIN", "LOGIN"};
  for (const auto& method : preference) {
    if (capabilities.offers_auth(method)) return method;
  }
  return core::Failure{
      "auth", core::FailureKind::rejected,
      std::string("the server offers no AUTH mechanism for ") +
          (have_token ? "a token (OAUTHBEARER, XOAUTH2)" : "a password (PLAIN, LOGIN)") +
          " (it offers " + offered + ")"};
}

}  // namespace mailprobe::protocol
