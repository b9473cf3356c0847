// The receiving half of a round trip over IMAP and POP3: find this check's probes in the
// mailbox (and in Junk) as soon as the server announces them, count them
// (roundtrip_sighting.cpp), delete what was counted and nothing else.

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <set>
#include <vector>

#include "net/connection.hpp"
#include "net/spawn.hpp"
#include "probes/mailbox_session.hpp"
#include "probes/roundtrip_run.hpp"
#include "protocol/imap_mailbox.hpp"
#include "protocol/pop3_client.hpp"

namespace mailprobe::probes::roundtrip {

namespace asio = boost::asio;

namespace {

// Dovecot holds IDLE notifications back for 500 ms to batch changes (NOTIFY_DELAY_MSECS in
// its index-mailbox-check.c); DONE makes it report at once. So the IDLE is ended and
// resumed in pulses, 20 ms apart at first and slower as the wait grows (at most 1 s), which
// keeps the timing error small for fast deliveries and the traffic low for slow ones.
constexpr auto first_pulse = std::chrono::milliseconds(20);
constexpr auto last_pulse = std::chrono::milliseconds(1000);

// Looks for probes in the selected mailbox from `first_uid` on; returns the next UID to
// look at, and adds what is ours to delete to `deletable`.
asio::awaitable<core::Outcome<std::uint32_t>> scan(Run& run, protocol::ImapClient& imap,
                                                   std::uint32_t first_uid, bool junk,
                                                   Clock::time_point seen_at,
                                                   const std::string& secret,
                                                   std::vector<std::uint32_t>& deletable,
                                                   std::set<std::uint32_t>& handled) {
  std::string field = run.options.reflector ? reflection_header : probe_header;
  auto uids = co_await protocol::search_header(imap, field, first_uid);
  if (!uids) co_return uids.failure();
  auto next = first_uid;
  std::optional<std::uint32_t> again;
  if (uids->empty()) co_return next;
  auto fetched = co_await protocol::fetch_headers(imap, *uids, field);
  if (!fetched) co_return fetched.failure();
  for (const auto& message : *fetched) {
    next = std::max(next, message.uid + 1);
    if (!handled.insert(message.uid).second) continue;  // an earlier scan of this run
    Sighting sighting{message.headers, junk, seen_at, parse_internal_date(message.internal_date),
                      (junk ? "Junk UID " : "UID ") + std::to_string(message.uid)};
    auto sighted = handle_sighting(run, sighting, secret);
    if (sighted == Sighted::ours) deletable.push_back(message.uid);
    if (sighted == Sighted::look_again) {
      handled.erase(message.uid);
      again = again ? std::min(*again, message.uid) : message.uid;
    }
  }
  // The next scan starts at this run's probe seen too early, if there was one.
  co_return again ? std::min(next, *again) : next;
}

}  // namespace

asio::awaitable<void> receive_imap(Run& run, std::string secret) {
  const auto& options = run.options;
  auto executor = co_await asio::this_coro::executor;
  net::Connection connection(executor, run.deadline);
  if (options.transcript) connection.set_transcript(&run.result.transcript);
  protocol::ImapClient imap(connection);
  auto start_sending = [&] {
    if (run.probe_id.empty() && !run.send_done) {
      // A failure of the sending half is this run's failure, never a silent wait.
      asio::co_spawn(executor, send_probe(run, secret),
                     net::on_failure([&run](const std::string& why) {
                       run.result.subchecks.push_back(
                           {core::State::unknown, "send: internal error: " + why, {}});
                     }));
    }
  };

  LoginToken login(options.receive_oauth, run.result, "receive_token", options.transcript,
                   run.deadline);
  auto opened = co_await open_imap(connection, imap, options.receive, options.receive_tls,
                                   options.receive_credentials, &login);
  if (!opened) {
    receive_failed(run, opened.failure());
    start_sending();
    co_return;
  }
  auto caps = co_await imap.capabilities();  // after login they say more (IDLE, UIDPLUS)
  bool has_idle = caps && protocol::has_capability(*caps, "IDLE");
  bool uidplus = caps && protocol::has_capability(*caps, "UIDPLUS");
  auto selected = co_await protocol::select_mailbox(imap, options.mailbox, false);
  if (!selected) {
    receive_failed(run, selected.failure());
    start_sending();
    co_return;
  }
  run.receive_ok = true;
  std::vector<std::uint32_t> deletable;
  std::set<std::uint32_t> handled;  // UIDs of the inbox this run has looked at
  auto next_uid = co_await scan(run, imap, 1, false, Clock::now(), secret, deletable, handled);
  if (!next_uid) {
    receive_failed(run, next_uid.failure());
    start_sending();
    co_return;
  }
  std::uint32_t next = *next_uid;

  // Watch for this run's probe: IDLE is on before the probe is sent, and DONE pulses make
  // the server report at once (see first_pulse).
  run.receive_method = has_idle ? "IMAP IDLE" : "IMAP polling";
  start_sending();
  auto poll = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.poll_seconds));
  Clock::duration pulse = first_pulse;
  while (!run.own_arrived()) {
    if (run.nothing_coming()) break;
    auto until = run.wait_until();
    if (Clock::now() >= until) break;
    bool look = false;
    if (has_idle) {
      auto started = co_await imap.idle_start();
      if (!started) {
        receive_failed(run, started.failure());
        co_return;
      }
      auto announced = co_await imap.idle_wait(std::min(until, Clock::now() + pulse));
      if (!announced) {
        receive_failed(run, announced.failure());
        co_return;
      }
      auto done = co_await imap.idle_done();
      if (!done) {
        receive_failed(run, done.failure());
        co_return;
      }
      look = *announced || *done || run.look_again_now();
      if (run.accepted_at) pulse = std::min<Clock::duration>(pulse * 5 / 4, last_pulse);
    } else {
      co_await sleep_until(std::min(until, Clock::now() + poll));
      look = true;
    }
    if (!look) continue;
    auto scanned = co_await scan(run, imap, next, false, Clock::now(), secret, deletable, handled);
    if (!scanned) {
      receive_failed(run, scanned.failure());
      co_return;
    }
    next = *scanned;
  }
  if (!options.keep) {
    auto deleted = co_await protocol::delete_messages(imap, deletable, uidplus);
    if (!deleted) receive_failed(run, deleted.failure());
  }

  // Junk: where a spam filter would have put a probe (RFC 6154 \Junk).
  if (!options.junk_folder.empty()) {
    auto junk = co_await protocol::select_mailbox(imap, options.junk_folder, false);
    if (junk) {
      std::vector<std::uint32_t> junk_deletable;
      std::set<std::uint32_t> junk_handled;
      auto scanned =
          co_await scan(run, imap, 1, true, Clock::now(), secret, junk_deletable, junk_handled);
      if (!scanned) {
        receive_failed(run, scanned.failure());
      } else if (!options.keep) {
        auto deleted = co_await protocol::delete_messages(imap, junk_deletable, uidplus);
        if (!deleted) receive_failed(run, deleted.failure());
      }
    } else {
      run.result.notes.push_back("no folder '" + options.junk_folder + "' to look for junk in");
    }
  }
  co_await imap.logout();
  co_await connection.close();
}

asio::awaitable<void> receive_pop3(Run& run, std::string secret) {
  const auto& options = run.options;
  auto executor = co_await asio::this_coro::executor;
  run.receive_method = "POP3 polling";
  std::vector<std::string> looked_at;  // UIDLs whose headers were read in this run
  auto poll = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.poll_seconds));
  // One token for all the polls' logins (renewed once if one is refused).
  LoginToken login(options.receive_oauth, run.result, "receive_token", options.transcript,
                   run.deadline);
  for (;;) {
    net::Connection connection(executor, run.deadline);
    if (options.transcript) connection.set_transcript(&run.result.transcript);
    protocol::Pop3Client pop3(connection);
    auto opened = co_await open_pop3(connection, pop3, options.receive, options.receive_tls,
                                     options.receive_credentials, &login);
    if (!opened) {
      receive_failed(run, opened.failure());
      co_return;
    }
    run.receive_ok = true;
    auto listed = co_await pop3.uidl();
    if (!listed) {
      receive_failed(run, listed.failure());
      co_return;
    }
    for (const auto& entry : *listed) {
      if (std::find(looked_at.begin(), looked_at.end(), entry.uid) != looked_at.end()) continue;
      auto headers = co_await pop3.headers(entry.number);
      if (!headers) {
        receive_failed(run, headers.failure());
        co_return;
      }
      Sighting sighting{*headers, false, Clock::now(), received_time(*headers),
                        "message " + std::to_string(entry.number) + " (UIDL " + entry.uid + ")"};
      auto sighted = handle_sighting(run, sighting, secret);
      if (sighted == Sighted::look_again) continue;  // read again at the next poll
      looked_at.push_back(entry.uid);
      if (sighted == Sighted::ours && !options.keep) {
        auto deleted = co_await pop3.dele(entry.number);
        if (!deleted) receive_failed(run, deleted.failure());
      }
    }
    co_await pop3.quit();  // commits the deletions (RFC 1939 section 6)
    co_await connection.close();
    if (run.own_arrived() || !run.send_ok) co_return;
    auto until = run.wait_until();
    if (Clock::now() + poll >= until) co_return;
    co_await sleep_until(Clock::now() + poll);
  }
}

}  // namespace mailprobe::probes::roundtrip
