#include "probes/tcp.hpp"

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "core/format.hpp"
#include "net/connection.hpp"
#include "probes/login_token.hpp"
#include "protocol/imap_client.hpp"
#include "protocol/pop3_client.hpp"
#include "protocol/redact.hpp"

namespace mailprobe::probes {

namespace {

using Clock = std::chrono::steady_clock;
constexpr net::Step reply_step{"response", "the server's response"};
// Without -d, reading stops after this long without new data (monitoring-plugins' fixed
// READ_TIMEOUT); -d raises it.
constexpr double idle_gap_seconds = 2.0;
// Upper bound on what is collected for expect matching when -m is not given.
constexpr std::size_t default_max_bytes = std::size_t{64} << 10;

double since(Clock::time_point start) {
  return core::seconds(Clock::now() - start);
}

// Received text for a one-line summary: line breaks become " / ", trailing space goes.
std::string one_line(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') continue;
    if (c == '\n') {
      if (i + 1 < text.size()) out += " / ";
      continue;
    }
    out += c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t'))
    out.pop_back();
  return out;
}

// Default expects (no -e) match at the start, as monitoring-plugins' exact mode does: the
// data must begin with an expected string, and data that is still a prefix of one is
// worth waiting for.
enum class Progress { matched, waiting, failed };
Progress prefix_progress(std::string_view received, const std::vector<std::string>& expect,
                         bool all) {
  std::size_t matched = 0;
  bool partial = false;
  for (const auto& e : expect) {
    if (received.substr(0, e.size()) == e) {
      ++matched;
    } else if (received.size() < e.size() && e.substr(0, received.size()) == received) {
      partial = true;
    }
  }
  if (all ? matched == expect.size() : matched > 0) return Progress::matched;
  return partial ? Progress::waiting : Progress::failed;
}

}  // namespace

ExpectMatch match_expect(std::string_view received, const std::vector<std::string>& expect,
                         bool all) {
  std::size_t matched = 0;
  for (const auto& e : expect) {
    if (received.find(e) != std::string_view::npos) ++matched;
  }
  bool ok = all ? matched == expect.size() : matched > 0;
  return ok ? ExpectMatch::success : ExpectMatch::failure;
}

boost::asio::awaitable<core::ProbeResult> probe_tcp(TcpOptions options, core::Deadline deadline) {
  core::ProbeResult result;
  result.service = options.service;
  auto executor = co_await boost::asio::this_coro::executor;
  net::Connection connection(executor, deadline);
  // -m asks for more than a service check reads: room for it and the dialogue around it.
  connection.set_read_limit(std::max(net::Connection::default_read_limit,
                                     options.max_bytes + net::Connection::default_read_limit));
  if (options.transcript) connection.set_transcript(&result.transcript);
  auto fail = [&](const core::Failure& failure) {
    auto state = failure.kind == core::FailureKind::refused ? options.refuse_state
                                                            : default_state(failure.kind);
    result.fail(failure, state);
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
  auto where = " on " + options.target.host + " port " + std::to_string(options.target.port);

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

  auto name = options.tls.name_for(options.target);
  std::string received;  // everything the expect strings are matched against
  bool use_default_expect_mode = false;

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

  // Protocol-aware part: STARTTLS needs the greeting read line by line; so does a login.
  bool native =
      (options.protocol == MailProtocol::pop3 || options.protocol == MailProtocol::imap) &&
      (options.tls.mode == TlsMode::starttls || options.credentials.has_value());
  protocol::Pop3Client pop3(connection);
  protocol::ImapClient imap(connection);
  if (native) {
    auto banner_started = Clock::now();
    std::string greeting;
    if (options.protocol == MailProtocol::pop3) {
      auto status = co_await pop3.read_status({"banner", "the POP3 greeting"});
      if (!status) {
        fail(status.failure());
        co_return result;
      }
      greeting = status->line;
    } else {
      auto response = co_await imap.read_greeting();
      if (!response) {
        fail(response.failure());
        co_return result;
      }
      greeting = response->line;
    }
    add_phase_metric(result, "banner", since(banner_started));
    received = greeting + "\r\n";

    if (options.tls.mode == TlsMode::starttls) {
      auto tls_started = Clock::now();
      // Ask first whether STARTTLS is offered, so that a server without it gets a clear
      // answer rather than a refused command (RFC 2595 sections 4 and 3.1).
      std::vector<std::string> offered;
      bool can_tell = true;
      if (options.protocol == MailProtocol::pop3) {
        auto caps = co_await pop3.capabilities();
        if (!caps) {
          fail(caps.failure());
          co_return result;
        }
        offered = *caps;
        can_tell = !offered.empty();  // no CAPA: just try STLS
      } else {
        offered = imap.greeting_capabilities();
        if (offered.empty()) {
          auto caps = co_await imap.capabilities();
          if (!caps) {
            fail(caps.failure());
            co_return result;
          }
          offered = *caps;
        }
      }
      const char* keyword = options.protocol == MailProtocol::pop3 ? "STLS" : "STARTTLS";
      bool has_keyword = false;
      for (const auto& capability : offered) {
        if (capability == keyword) has_keyword = true;
      }
      if (can_tell && !has_keyword) {
        fail({"starttls", core::FailureKind::rejected,
              std::string("the server does not offer ") + keyword + " in its capabilities"});
        co_await connection.close();
        co_return result;
      }
      core::Outcome<net::TlsFacts> facts = net::TlsFacts{};
      if (options.protocol == MailProtocol::pop3) {
        facts = co_await pop3.stls(*options.tls.context, name);
      } else {
        facts = co_await imap.starttls(*options.tls.context, name);
      }
      if (!facts) {
        fail(facts.failure());
        co_return result;
      }
      add_phase_metric(result, "tls", since(tls_started));
      assess_tls(*facts, options.tls, result);
    }

    if (credentials) {
      auto auth_started = Clock::now();
      auto mechanism = options.login_mechanism;
      std::vector<std::string> caps;
      if (options.protocol == MailProtocol::imap) {
        caps = imap.greeting_capabilities();
        if (caps.empty()) {
          auto asked = co_await imap.capabilities();
          if (!asked) {
            fail(asked.failure());
            co_return result;
          }
          caps = *asked;
        }
      }
      if (mechanism.empty() && credentials->token) {
        // A token goes by OAUTHBEARER when offered, else XOAUTH2: IMAP lists them as
        // AUTH=..., POP3 in CAPA's SASL line (RFC 5034 section 5).
        std::vector<std::string> offered;
        if (options.protocol == MailProtocol::imap) {
          offered = protocol::sasl_mechanisms(caps);
        } else {
          auto asked = co_await pop3.capabilities();
          if (!asked) {
            fail(asked.failure());
            co_return result;
          }
          offered = protocol::sasl_mechanisms_of_capa(*asked);
        }
        mechanism = protocol::choose_bearer_mechanism(offered).value_or("XOAUTH2");
      }
      core::Status login = core::success();
      for (int attempt = 0; attempt < 2; ++attempt) {
        if (options.protocol == MailProtocol::pop3) {
          login = co_await pop3.login(*credentials, mechanism);
        } else {
          login = co_await imap.login(*credentials, mechanism, caps);
        }
        if (login || attempt > 0) break;
        // A cached token may have been revoked: one new token, one more try.
        auto renewed = co_await token.renew_after(login.failure(), *credentials);
        if (!renewed) {
          fail(renewed.failure());
          co_await connection.close();
          co_return result;
        }
        if (!*renewed) break;
      }
      if (!login) {
        fail(login.failure());
        co_return result;
      }
      add_phase_metric(result, "auth", since(auth_started));
      result.subchecks.push_back(
          {core::State::ok,
           "logged in as " + credentials->user + (credentials->token ? " (" + mechanism + ")" : ""),
           {}});
    }
  }

  if (!options.send.empty()) {
    auto shown = protocol::redact_client_data(options.send);
    auto sent = co_await connection.write(options.send, {"send", "the send string"}, shown);
    if (!sent) {
      fail(sent.failure());
      co_return result;
    }
  }

  // Reading for the expect strings: until they match, the server stops talking for the
  // idle gap (or -d), it closes, or -m bytes arrived.
  auto match = ExpectMatch::success;
  if (!options.expect.empty()) {
    auto limit = options.max_bytes > 0 ? options.max_bytes : default_max_bytes;
    use_default_expect_mode = options.expect_prefix;
    auto progress = [&] {
      if (use_default_expect_mode)
        return prefix_progress(received, options.expect, options.expect_all);
      return match_expect(received, options.expect, options.expect_all) == ExpectMatch::success
                 ? Progress::matched
                 : Progress::waiting;
    };
    auto gap = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(std::max(idle_gap_seconds, options.delay)));
    auto read_started = Clock::now();
    bool closed = false;
    while (received.size() < limit && progress() == Progress::waiting) {
      auto chunk = co_await connection.read_some_until(limit - received.size(), reply_step,
                                                       Clock::now() + gap);
      if (!chunk) {
        if (chunk.failure().kind == core::FailureKind::timeout) {
          if (received.empty()) {
            fail(chunk.failure());
            co_return result;
          }
          // What arrived before the deadline is judged as it is.
          result.notes.push_back("stopped reading the response at the deadline (-t)");
        }
        closed = true;
        break;
      }
      if (chunk->empty()) break;  // idle gap: the server has nothing more to say
      received += *chunk;
    }
    if (received.size() > limit) received.resize(limit);
    if (!native) add_phase_metric(result, "banner", since(read_started));
    if (received.empty()) {
      result.fail(
          {"response", core::FailureKind::network,
           std::string("no data received from host") + (closed ? " (connection closed)" : "")},
          core::State::critical);
      co_await connection.close();
      co_return result;
    }
    if (progress() != Progress::matched) match = ExpectMatch::failure;
  }

  if (options.credentials && options.quit.empty()) {
    // A native login ends with the protocol's own goodbye.
    if (options.protocol == MailProtocol::pop3) co_await pop3.quit();
    if (options.protocol == MailProtocol::imap) co_await imap.logout();
  } else if (!options.quit.empty()) {
    co_await connection.write(options.quit, {"quit", "the quit string"});
  }
  co_await connection.close();
  double elapsed = since(started) - *tls_setup;  // the server's time, not our set-up

  auto shown = one_line(received);
  if (match == ExpectMatch::failure) {
    result.state = core::worse(result.state, options.mismatch_state);
    result.failure = core::Failure{"response", core::FailureKind::mismatch, "unexpected response"};
    result.summary = options.hide_output || shown.empty()
                         ? "Unexpected response from host/socket" + where
                         : "Unexpected response from host/socket: " + shown;
  } else {
    // Three decimals always, as monitoring-plugins prints them.
    result.summary = core::format_fixed(elapsed, 3) + " second response time" + where;
    if (!options.hide_output && !shown.empty()) result.summary += " [" + shown + "]";
  }
  assess_response_time(elapsed, options.response_time, core::seconds(deadline.budget()), result);
  co_return result;
}

}  // namespace mailprobe::probes
