#include "probes/smtp.hpp"

#include <boost/asio/this_coro.hpp>
#include <regex>

#include "core/format.hpp"
#include "net/connection.hpp"
#include "probes/login_token.hpp"
#include "protocol/smtp_client.hpp"

namespace mailprobe::probes {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return core::seconds(Clock::now() - start);
}

}  // namespace

boost::asio::awaitable<core::ProbeResult> probe_smtp(SmtpOptions options, core::Deadline deadline) {
  core::ProbeResult result;
  result.service = options.lmtp ? "LMTP" : "SMTP";
  auto executor = co_await boost::asio::this_coro::executor;
  net::Connection connection(executor, deadline);
  if (options.transcript) connection.set_transcript(&result.transcript);
  protocol::SmtpClient smtp(connection);
  auto fail = [&](const core::Failure& failure) {
    result.fail(failure, default_state(failure.kind));
  };
  // The token first, so that the mail server does not wait for the token endpoint; its
  // time is the phase "token", not part of the server's response time.
  auto credentials = options.credentials;
  LoginToken token(credentials ? options.oauth : nullptr, result, "token", options.transcript,
                   deadline);
  if (credentials) {
    if (auto filled = co_await token.fill(*credentials); !filled) {
      fail(filled.failure());
      co_return result;
    }
    // OAUTHBEARER names the server as the client reached it (RFC 7628 section 3.1).
    credentials->host = options.tls.name_for(options.target);
    credentials->port = options.target.port;
  }
  auto started = Clock::now();

  auto connected =
      co_await connection.connect(options.target.host, options.target.port, options.target.family);
  if (!connected) {
    fail(connected.failure());
    co_return result;
  }
  add_phase_metric(result, "connect", connected->resolve_seconds + connected->connect_seconds);
  // A plugin's TLS context is built now, while the server accepts the connection.
  auto tls_setup = build_tls_context(options.tls);
  if (!tls_setup) {
    fail(tls_setup.failure());
    co_return result;
  }

  if (options.proxy_header) {
    // PROXY protocol v1 with the addresses this connection really has.
    auto family = connected->endpoint.address().is_v6() ? "TCP6" : "TCP4";
    auto line = std::string("PROXY ") + family + " " +
                (connected->endpoint.address().is_v6() ? "::1 " : "127.0.0.1 ") +
                connected->endpoint.address().to_string() + " 0 " +
                std::to_string(connected->endpoint.port()) + "\r\n";
    auto sent = co_await connection.write(line, {"proxy", "the PROXY header"});
    if (!sent) {
      fail(sent.failure());
      co_return result;
    }
  }

  auto name = options.tls.name_for(options.target);
  if (options.tls.mode == TlsMode::implicit) {
    auto tls_started = Clock::now();
    auto facts = co_await connection.start_tls(*options.tls.context, name);
    if (!facts) {
      fail(facts.failure());
      co_return result;
    }
    add_phase_metric(result, "tls", since(tls_started));
    assess_tls(*facts, options.tls, result);
  }

  auto banner_started = Clock::now();
  auto banner = co_await smtp.read_reply({"banner", "the SMTP banner"});
  if (!banner) {
    fail(banner.failure());
    co_return result;
  }
  add_phase_metric(result, "banner", since(banner_started));
  auto banner_line = banner->first_line();
  if (banner->code != 220 || banner_line.rfind(options.expect, 0) != 0) {
    fail({"banner", core::FailureKind::mismatch,
          "invalid SMTP banner (expected '" + options.expect + "'): " + banner_line});
    co_await connection.close();
    co_return result;
  }

  auto helo = options.helo_name.empty() ? local_host_name() : options.helo_name;
  auto capabilities = co_await smtp.hello(helo, options.lmtp);
  if (!capabilities) {
    fail(capabilities.failure());
    co_return result;
  }

  if (options.tls.mode == TlsMode::starttls) {
    if (!capabilities->has("STARTTLS")) {
      fail({"starttls", core::FailureKind::rejected,
            "the server does not offer STARTTLS in its EHLO reply"});
      co_await smtp.quit();
      co_await connection.close();
      co_return result;
    }
    auto tls_started = Clock::now();
    auto facts = co_await smtp.starttls(*options.tls.context, name);
    if (!facts) {
      fail(facts.failure());
      co_return result;
    }
    add_phase_metric(result, "tls", since(tls_started));
    assess_tls(*facts, options.tls, result);
    // RFC 3207 section 4.2: forget what was learned before TLS and say EHLO again.
    capabilities = co_await smtp.hello(helo, options.lmtp);
    if (!capabilities) {
      fail(capabilities.failure());
      co_return result;
    }
  }

  if (credentials) {
    auto auth_started = Clock::now();
    auto mechanism = protocol::choose_auth_mechanism(*capabilities, options.auth_mechanism,
                                                     options.token || credentials->token);
    if (!mechanism) {
      fail(mechanism.failure());
      co_await smtp.quit();
      co_await connection.close();
      co_return result;
    }
    auto authenticated = co_await smtp.authenticate(*mechanism, *credentials);
    if (!authenticated) {
      // A cached token may have been revoked: one new token, one more try.
      auto renewed = co_await token.renew_after(authenticated.failure(), *credentials);
      if (!renewed) {
        fail(renewed.failure());
        co_await smtp.quit();
        co_await connection.close();
        co_return result;
      }
      if (*renewed) authenticated = co_await smtp.authenticate(*mechanism, *credentials);
    }
    if (!authenticated) {
      fail(authenticated.failure());
      co_await smtp.quit();
      co_await connection.close();
      co_return result;
    }
    add_phase_metric(result, "auth", since(auth_started));
    result.subchecks.push_back(
        {core::State::ok, "AUTH " + *mechanism + " as " + credentials->user + " accepted", {}});
  }

  if (!options.from.empty()) {
    auto reply = co_await smtp.command("MAIL FROM:<" + options.from + ">",
                                       {"mail", "the reply to MAIL FROM"});
    if (!reply) {
      fail(reply.failure());
      co_return result;
    }
    if (reply->code != 250) {
      fail({"mail", core::FailureKind::mismatch, "MAIL FROM rejected: " + reply->first_line()});
      co_await smtp.quit();
      co_await connection.close();
      co_return result;
    }
  }

  for (std::size_t i = 0; i < options.commands.size(); ++i) {
    const auto& command = options.commands[i];
    auto reply = co_await smtp.command(command, {"command", "the reply to a -C command"});
    if (!reply) {
      fail(reply.failure());
      co_return result;
    }
    std::string answer;
    for (const auto& line : reply->lines)
      answer += (answer.empty() ? "" : "\n") + line;
    if (i < options.responses.size()) {
      std::regex expected;
      try {
        expected = std::regex(options.responses[i], std::regex::extended);
      } catch (const std::regex_error& e) {
        fail({"command", core::FailureKind::config,
              "invalid -R expression '" + options.responses[i] + "': " + e.what()});
        co_return result;
      }
      if (!std::regex_search(answer, expected)) {
        fail({"command", core::FailureKind::mismatch,
              "unexpected reply to '" + command + "': " + reply->first_line()});
        co_await smtp.quit();
        co_await connection.close();
        co_return result;
      }
    }
    result.subchecks.push_back({core::State::ok, command + ": " + reply->first_line(), {}});
  }

  double elapsed = since(started) - *tls_setup;  // the server's time, not our set-up
  auto quit = co_await smtp.quit();
  if (!quit && !options.ignore_quit_failure) {
    result.subchecks.push_back({core::State::warning,
                                "QUIT failed: " + quit.failure().message + " (-q ignores this)",
                                {}});
  }
  co_await connection.close();

  result.summary = core::format_fixed(elapsed, 3) + " sec. response time";
  if (connection.tls_active()) result.summary += ", TLS";
  assess_response_time(elapsed, options.response_time, core::seconds(deadline.budget()), result);
  co_return result;
}

}  // namespace mailprobe::probes
