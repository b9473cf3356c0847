#include "probes/reflector_imap.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/connection.hpp"
#include "probes/mailbox_session.hpp"
#include "protocol/imap_mailbox.hpp"

namespace mailprobe::probes {

namespace {
using Clock = std::chrono::steady_clock;
// Sessions are renewed before servers drop idle clients (RFC 9051 section 5.4: 30 min).
constexpr auto idle_period = std::chrono::minutes(20);
}  // namespace

boost::asio::awaitable<core::Outcome<WatchReport>> watch_mailbox(ReflectorMailbox mailbox,
                                                                 ReflectorOptions reflector,
                                                                 core::Deadline deadline,
                                                                 bool once) {
  auto executor = co_await boost::asio::this_coro::executor;
  net::Connection connection(executor, deadline);
  protocol::ImapClient imap(connection);
  core::ProbeResult login_record;  // the token's timing and warnings
  LoginToken login(mailbox.oauth, login_record, "token", false, deadline);
  auto opened = co_await open_imap(connection, imap, mailbox.server, mailbox.tls,
                                   mailbox.credentials, &login);
  if (!opened) co_return opened.failure();
  auto caps = co_await imap.capabilities();  // after login they say more (IDLE, UIDPLUS)
  if (!caps) co_return caps.failure();
  bool has_idle = protocol::has_capability(*caps, "IDLE");
  bool uidplus = protocol::has_capability(*caps, "UIDPLUS");
  auto selected = co_await protocol::select_mailbox(imap, mailbox.mailbox, false);
  if (!selected) co_return selected.failure();

  WatchReport report;
  for (const auto& warning : login_record.subchecks)
    report.warnings.push_back(warning.summary);
  std::uint32_t next = 1;
  auto until = std::min(deadline.at() - std::chrono::seconds(5), Clock::now() + idle_period);
  for (;;) {
    auto uids = co_await protocol::search_header(imap, probe_header, next);
    if (!uids) co_return uids.failure();
    std::string fields = std::string(probe_header) + " " + reflection_header;
    auto fetched = co_await protocol::fetch_headers(imap, *uids, fields);
    if (!fetched) co_return fetched.failure();
    std::vector<std::uint32_t> answered;
    for (const auto& message : *fetched) {
      next = std::max(next, message.uid + 1);
      auto outcome = co_await reflect_message(message.headers + "\r\n", reflector, deadline);
      if (outcome.verdict == ReflectVerdict::reflected ||
          outcome.verdict == ReflectVerdict::answered_before) {
        report.reflected += outcome.verdict == ReflectVerdict::reflected ? 1 : 0;
        answered.push_back(message.uid);
      } else if (outcome.verdict == ReflectVerdict::ignored) {
        // Left where it is: a person may want to see it, and the next SEARCH starts after it.
        ++report.ignored;
        report.ignored_why.push_back("UID " + std::to_string(message.uid) + ": " + outcome.detail +
                                     ", left alone");
      }
    }
    auto deleted = co_await protocol::delete_messages(imap, answered, uidplus);
    if (!deleted) co_return deleted.failure();
    if (once || Clock::now() >= until) break;
    if (has_idle) {
      auto started = co_await imap.idle_start();
      if (!started) co_return started.failure();
      auto announced = co_await imap.idle_wait(until);
      if (!announced) co_return announced.failure();
      auto done = co_await imap.idle_done();
      if (!done) co_return done.failure();
    } else {
      // Without IDLE: look again in a few seconds (the next SEARCH sees what came).
      boost::asio::steady_timer pause(executor, std::chrono::seconds(5));
      co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
  }
  co_await imap.logout();
  co_await connection.close();
  co_return report;
}

}  // namespace mailprobe::probes
