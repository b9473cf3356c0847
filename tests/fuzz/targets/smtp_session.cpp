// check_smtp's whole conversation against a server that says the input: greeting,
// multi-line EHLO replies and their keywords, AUTH challenges (PLAIN, LOGIN, XOAUTH2),
// MAIL FROM, extra commands with their expected replies, QUIT. The selector picks options.
#include "fuzz_target.hpp"
#include "loopback.hpp"
#include "probes/smtp.hpp"

namespace {

boost::asio::io_context io;
mailprobe::fuzz::LoopbackServer server(io);

boost::asio::awaitable<void> converse(mailprobe::probes::SmtpOptions options) {
  auto result = co_await mailprobe::probes::probe_smtp(std::move(options),
                                                       mailprobe::fuzz::session_deadline());
  static_cast<void>(result);
}

}  // namespace

MAILPROBE_FUZZ_TARGET(smtp_session) {
  using namespace mailprobe;
  auto [selector, script] = fuzz::select(data, size);
  probes::SmtpOptions options;
  options.target = {"127.0.0.1", server.port(), net::AddressFamily::ipv4};
  options.helo_name = "probe.example";
  options.lmtp = (selector & 1) != 0;
  if ((selector & 2) != 0) {
    options.credentials = protocol::Credentials{"probe@example.org", "secret"};
    static const char* mechanisms[] = {"", "PLAIN", "LOGIN", "XOAUTH2"};
    options.auth_mechanism = mechanisms[(selector >> 2) & 3];
    options.token = options.auth_mechanism == "XOAUTH2";
  }
  if ((selector & 16) != 0) options.from = "probe@example.org";
  if ((selector & 32) != 0) {
    options.commands = {"NOOP", "VRFY postmaster"};
    options.responses = {"^250", "^2[0-9]{2} .*postmaster"};
  }
  options.ignore_quit_failure = (selector & 64) != 0;
  options.transcript = (selector & 128) != 0;
  server.play(std::string(script), converse(std::move(options)));
  return 0;
}
