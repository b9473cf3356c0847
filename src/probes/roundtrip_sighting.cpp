// What a message seen in the mailbox is to a round trip, whatever the protocol it was
// read with: one of this check's probes or reflections (this run's, timed from the answer
// to its sending, or an earlier run's, timed by the server's arrival date), someone
// else's, or this run's seen too early. And the dates servers give arrivals.

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "core/civil_time.hpp"
#include "probes/roundtrip_run.hpp"

namespace mailprobe::probes::roundtrip {

namespace asio = boost::asio;

namespace {

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
  if (id == run.probe_id) {
    run.own_seen_early = !run.accepted_at && !run.send_done;
    if (run.own_seen_early) return Sighted::look_again;
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

}  // namespace mailprobe::probes::roundtrip
