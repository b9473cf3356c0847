// The receiving half of a round trip: find this check's probes in the mailbox (and in
// Junk), time this run's own from the moment the server announces it, count earlier runs'
// with their server arrival dates, delete what was counted and nothing else.

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <set>
#include <vector>

#include "core/civil_time.hpp"
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

// A whole number from all of `text`.
std::optional<int> whole_number(std::string_view text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// "22 Nov 2026 12:23:29 +0000" (with '-' or ' ' between day, month and year): milliseconds
// since the epoch. Written out rather than with date::parse, whose %S trips GCC 12's
// maybe-uninitialized warning at -O2.
std::optional<std::int64_t> parse_day_month_year(std::string text) {
  std::replace(text.begin(), text.end(), '-', ' ');
  std::replace(text.begin(), text.end(), ':', ' ');
  // day month year hour minute second zone
  std::vector<std::string_view> fields;
  std::string_view rest(text);
  while (!rest.empty() && fields.size() < 8) {
    while (!rest.empty() && rest.front() == ' ')
      rest.remove_prefix(1);
    auto end = rest.find(' ');
    if (!rest.empty()) fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  if (fields.size() != 7) return std::nullopt;
  auto day = whole_number(fields[0]);
  auto year = whole_number(fields[2]);
  auto hour = whole_number(fields[3]);
  auto minute = whole_number(fields[4]);
  auto second = whole_number(fields[5]);
  static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  auto at = fields[1].size() == 3 ? months.find(fields[1]) : std::string_view::npos;
  if (!day || !year || !hour || !minute || !second || at == std::string_view::npos || at % 3 != 0) {
    return std::nullopt;
  }
  // "+0100": the local time is that far ahead of UTC.
  auto zone = fields[6];
  int offset_minutes = 0;
  if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    auto value = whole_number(zone.substr(1));
    if (!value) return std::nullopt;
    offset_minutes = (*value / 100) * 60 + *value % 100;
    if (zone[0] == '-') offset_minutes = -offset_minutes;
  } else if (zone != "GMT" && zone != "UT" && zone != "UTC" && zone != "Z") {
    return std::nullopt;
  }
  core::CivilTime civil{
      *year,  static_cast<unsigned>(at / 3 + 1), static_cast<unsigned>(*day), *hour, *minute,
      *second};
  auto utc = civil.as_utc() - std::chrono::minutes(offset_minutes);
  return std::chrono::duration_cast<std::chrono::milliseconds>(utc.time_since_epoch()).count();
}

// A message whose token cannot be read is no probe of ours: said once in the long output,
// left in the mailbox, and the run goes on.
Sighted skip_malformed(Run& run, const Sighting& sighting, std::string_view field) {
  auto note = sighting.where + ": malformed " + std::string(field) + " header, left alone";
  if (std::find(run.result.notes.begin(), run.result.notes.end(), note) == run.result.notes.end())
    run.result.notes.push_back(std::move(note));
  return Sighted::passed;
}

}  // namespace

void receive_failed(Run& run, const core::Failure& failure) {
  run.result.subchecks.push_back({core::State::critical, "receive: " + failure.message, {}});
  if (!run.result.failure) run.result.failure = failure;
}

asio::awaitable<void> sleep_until(Clock::time_point until) {
  asio::steady_timer timer(co_await asio::this_coro::executor, until);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

std::optional<std::int64_t> parse_internal_date(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  return parse_day_month_year(std::string(text));
}

std::optional<std::int64_t> parse_rfc5322_date(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  auto comma = text.find(',');
  if (comma < 5) text.remove_prefix(comma + 1);  // a day name ("Sun,"); npos is never < 5
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  return parse_day_month_year(std::string(text));
}

std::optional<std::int64_t> received_time(std::string_view headers) {
  auto received = header_value(headers, "Received");
  if (!received) return std::nullopt;
  auto semicolon = received->rfind(';');
  if (semicolon == std::string::npos) return std::nullopt;
  return parse_rfc5322_date(std::string_view(*received).substr(semicolon + 1));
}

bool Run::own_arrived() const {
  return std::any_of(arrivals.begin(), arrivals.end(), [](const Arrival& a) { return a.this_run; });
}

Clock::time_point Run::wait_until() const {
  auto wait = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.wait_seconds));
  auto from = accepted_at ? *accepted_at : Clock::now();
  // Keep a little of the deadline for deleting, logging out and reporting.
  auto latest =
      deadline.at() - std::min<Clock::duration>(deadline.budget() / 10, std::chrono::seconds(5));
  return std::min(from + wait, latest);
}

Sighted handle_sighting(Run& run, const Sighting& sighting, const std::string& secret) {
  std::string id;
  std::optional<ReflectionToken> reflection;
  if (run.options.reflector) {
    auto value = header_value(sighting.headers, reflection_header);
    if (!value) return Sighted::passed;
    reflection = parse_reflection_token(*value);
    if (!reflection) return skip_malformed(run, sighting, reflection_header);
    if (!verify_reflection(*reflection, secret)) return Sighted::passed;
    id = reflection->id;
  } else {
    auto value = header_value(sighting.headers, probe_header);
    if (!value) return Sighted::passed;
    auto token = parse_probe_token(*value);
    if (!token) return skip_malformed(run, sighting, probe_header);
    // Forged, or signed with another secret: not ours, not to be touched.
    if (!verify_probe(*token, secret)) return Sighted::passed;
    id = token->id;
  }
  // This run's probe, delivered before the answer to its sending came back: its clock has
  // no start yet, and counting it now would time it as an earlier run's.
  if (id == run.probe_id && !run.accepted_at && !run.send_done) {
    run.own_seen_early = true;
    return Sighted::look_again;
  }
  auto stored = run.state.lookup(id);
  if (!stored || !*stored) {
    ++run.foreign;
    return Sighted::passed;
  }
  Arrival arrival;
  arrival.id = id;
  arrival.junk = sighting.junk;
  arrival.this_run = id == run.probe_id && run.accepted_at.has_value();
  std::int64_t arrived_ms = 0;
  // This run's probe is timed on the monotonic clock when it was watched for; one found
  // elsewhere (Junk, looked at only at the end) is timed like an earlier run's.
  if (arrival.this_run && !sighting.junk) {
    // Monotonic clock, both ends in this process.
    arrival.rtt_seconds = std::max(0.0, core::seconds(sighting.seen_at - *run.accepted_at));
    arrival.precise = true;
    arrived_ms = run.accepted_ms + static_cast<std::int64_t>(arrival.rtt_seconds * 1000);
  } else {
    // An earlier run's probe: it arrived when the server says, not when we looked.
    arrived_ms = sighting.server_arrival_ms ? *sighting.server_arrival_ms
                                            : unix_ms(std::chrono::system_clock::now());
    arrival.rtt_seconds =
        std::max<double>(0.0, static_cast<double>(arrived_ms - (*stored)->sent_ms) / 1000.0);
  }
  if (reflection) {
    // From the SMTP server's 250 to the reflector's clock, and from there to the arrival:
    // two clocks each, so a skew between them shifts time from one leg to the other.
    auto accepted_ms = arrival.this_run ? run.accepted_ms : (*stored)->sent_ms;
    arrival.outbound_seconds = static_cast<double>(reflection->seen_ms - accepted_ms) / 1000.0;
    arrival.inbound_seconds = static_cast<double>(arrived_ms - reflection->seen_ms) / 1000.0;
  }
  auto claimed = run.state.claim_arrival(id, arrived_ms, arrival.rtt_seconds, arrival.junk);
  if (!claimed || !*claimed) return Sighted::passed;  // another run counted it (and deletes it)
  arrival.late = (*stored)->state == "lost";
  run.arrivals.push_back(arrival);
  return Sighted::ours;
}

namespace {

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
    if (run.send_done && !run.send_ok) break;  // nothing is coming
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
      look = *announced || *done || (run.own_seen_early && run.accepted_at);
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
