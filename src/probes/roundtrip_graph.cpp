// The receiving half of a round trip over Microsoft Graph, for Microsoft 365 mailboxes whose
// IMAP and POP3 are switched off: the mailbox is listed every --poll-interval until this
// run's probe is there, then Junk is looked at once; what was counted is deleted and nothing
// else.
//
// Finding probes: Graph's $filter cannot look into internetMessageHeaders, where the signed
// token is, and internetMessageId would need every probe's id one by one (and a probe sent
// with sendMail gets one Exchange makes up). Every probe's subject starts with the same
// words, so the list asks for those (startswith on subject is a filter Exchange serves from
// its index) received in the time a probe can still count, with the headers selected; the
// signed token among them decides what is this check's, exactly as over IMAP.
//
// Timing: a poll only says that the probe arrived between the previous look and this one.
// receivedDateTime, Exchange's own arrival time in whole seconds, narrows that window; the
// arrival is taken from where both agree, and the headline says so. When they do not agree
// (the clocks differ), the poll alone times it.

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <cctype>
#include <cstdlib>
#include <set>

#include "core/format.hpp"
#include "net/spawn.hpp"
#include "probes/roundtrip_run.hpp"

namespace mailprobe::probes::roundtrip {

namespace asio = boost::asio;
namespace graph = protocol::graph;

namespace {

constexpr std::string_view subject_prefix = "mailprobe delivery test";
constexpr int page_size = 50;
// Pages read in one look: a mailbox with more probe-like mail than this is noted.
constexpr int max_pages = 20;
// The state file forgets probes after 30 days: older mail cannot be this check's.
constexpr auto oldest_probe = std::chrono::hours(24 * 31);
// Looks after the first ask only for mail received since shortly before the run: far enough
// back for a clock that differs from Exchange's by minutes.
constexpr auto clock_margin = std::chrono::minutes(10);
// receivedDateTime further than this from this machine's clock is not used for timing.
constexpr std::chrono::milliseconds max_clock_difference = std::chrono::hours(24);

graph::ListQuery probe_query(std::int64_t since_ms) {
  graph::ListQuery query;
  // Exchange refuses a $orderby whose properties do not lead the $filter (InefficientFilter).
  // Oldest first, so that mail arriving while the pages are read lands on the last page.
  query.filter = "receivedDateTime ge " + graph::format_date_time(since_ms) +
                 " and startswith(subject," + graph::odata_string(subject_prefix) + ")";
  query.orderby = "receivedDateTime asc";
  query.select = "id,subject,internetMessageId,receivedDateTime,internetMessageHeaders";
  query.top = page_size;
  return query;
}

// Graph's well-known folder names for the IMAP names the options default to.
std::string graph_folder(const std::string& name) {
  auto lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "inbox") return "inbox";
  if (lower == "junk" || lower == "junkemail") return "junkemail";
  return name;
}

// One look at a folder: what is this run's and when it arrived.
struct Look {
  Run& run;
  graph::Client& client;
  const std::string& user;
  const std::string& secret;
  std::set<std::string>& seen;  // message ids handled in an earlier look of this run
  std::vector<std::string>& deletable;
};

// When the message arrived, on this machine's monotonic clock: within [after, before] (the
// poll window), narrowed by receivedDateTime when the two agree. Sets `from_server` then.
Clock::time_point arrival_time(const Run& run, Clock::time_point after, Clock::time_point before,
                               const graph::Message& message, bool& from_server, bool& disagrees) {
  from_server = false;
  disagrees = false;
  if (!message.received_ms || !run.accepted_at) return before;
  // A date far off (a broken or hostile server) disagrees, and must not overflow the clock.
  if (std::abs(*message.received_ms - run.accepted_ms) > max_clock_difference.count()) {
    disagrees = true;
    return before;
  }
  // Whole seconds: the arrival lies in the second Graph names.
  auto resolution = *message.received_ms % 1000 == 0 ? std::chrono::milliseconds(1000)
                                                     : std::chrono::milliseconds(1);
  auto server_from =
      *run.accepted_at + std::chrono::milliseconds(*message.received_ms - run.accepted_ms);
  auto from = std::max(after, server_from);
  auto to = std::min(before, server_from + resolution);
  if (from > to) {
    disagrees = true;
    return before;
  }
  from_server = true;
  return from + (to - from) / 2;
}

// In notes: the Message-ID, else the end of Graph's id (its start names the mailbox).
std::string message_name(const std::string& folder, const graph::Message& message) {
  if (!message.internet_message_id.empty()) {
    return folder + " message " + message.internet_message_id;
  }
  auto tail = message.id.size() > 12 ? message.id.substr(message.id.size() - 12) : message.id;
  return folder + " message id ..." + tail;
}

asio::awaitable<core::Status> scan_folder(Look& look, const std::string& folder, bool junk,
                                          std::int64_t since_ms, Clock::time_point after) {
  auto& run = look.run;
  auto page = co_await look.client.list_messages(look.user, folder, probe_query(since_ms));
  for (int pages = 1;; ++pages) {
    if (!page) co_return page.failure();
    auto answered = Clock::now();
    for (const auto& message : page->messages) {
      if (!look.seen.insert(message.id).second) continue;
      bool from_server = false;
      bool disagrees = false;
      auto seen_at = arrival_time(run, after, answered, message, from_server, disagrees);
      auto counted = run.arrivals.size();
      Sighting sighting{message.headers, junk, seen_at, message.received_ms,
                        message_name(folder, message)};
      auto sighted = handle_sighting(run, sighting, look.secret);
      // A poll can overtake the answer to the sending: looked at again next time.
      if (sighted == Sighted::look_again) look.seen.erase(message.id);
      if (sighted == Sighted::ours) look.deletable.push_back(message.id);
      if (run.arrivals.size() > counted && run.arrivals.back().this_run && !junk) {
        if (from_server) run.receive_method = "Graph polling, arrival from receivedDateTime";
        if (disagrees) {
          run.result.notes.push_back(
              "Graph's receivedDateTime of this run's probe lies outside the polling window "
              "(the clocks differ): timed by polling alone");
        }
      }
    }
    if (page->next_link.empty()) break;
    if (pages >= max_pages) {
      run.result.notes.push_back(folder + ": more than " + std::to_string(max_pages * page_size) +
                                 " messages look like probes; the rest was not read");
      break;
    }
    page = co_await look.client.next_page(page->next_link);
  }
  co_return core::success();
}

// scan_folder, and once more with a new token when Graph refused the one it had: a cached
// token may have been revoked, and one taken at the start may run out during a long wait.
asio::awaitable<core::Status> scan_renewing(Look& look, LoginToken& login,
                                            protocol::Credentials& credentials,
                                            const std::string& folder, bool junk,
                                            std::int64_t since_ms, Clock::time_point after) {
  auto scanned = co_await scan_folder(look, folder, junk, since_ms, after);
  if (scanned) co_return scanned;
  // After the first look the token worked: a 401 now means it ran out or was revoked.
  auto renewed = co_await renew_graph_token(login, credentials, look.client, scanned.failure(),
                                            look.run.receive_ok);
  if (!renewed) co_return renewed.failure();
  if (!*renewed) co_return scanned;
  co_return co_await scan_folder(look, folder, junk, since_ms, after);
}

asio::awaitable<core::Status> delete_counted(Look& look) {
  for (const auto& id : look.deletable) {
    auto deleted = co_await look.client.delete_message(look.user, id);
    if (!deleted) co_return deleted.failure();
  }
  look.deletable.clear();
  co_return core::success();
}

}  // namespace

core::Outcome<graph::Endpoint> graph_endpoint(const RoundTripOptions& options) {
  auto url = protocol::parse_http_url(options.graph_url);
  if (!url) return url.failure();
  return graph::Endpoint{*url, options.graph_tls};
}

asio::awaitable<core::Outcome<std::string>> graph_access_token(LoginToken& login,
                                                               protocol::Credentials& credentials) {
  auto filled = co_await login.fill(credentials);
  if (!filled) co_return filled.failure();
  co_return credentials.secret;
}

asio::awaitable<core::Outcome<bool>> renew_graph_token(LoginToken& login,
                                                       protocol::Credentials& credentials,
                                                       graph::Client& client,
                                                       const core::Failure& failure,
                                                       bool worked_before) {
  if (client.last_status() != 401) co_return false;
  auto renewed = co_await login.renew_after(failure, credentials, worked_before);
  if (renewed && *renewed) client.set_token(credentials.secret);
  co_return renewed;
}

asio::awaitable<void> receive_graph(Run& run, std::string secret) {
  const auto& options = run.options;
  auto executor = co_await asio::this_coro::executor;
  auto start_sending = [&] {
    if (run.probe_id.empty() && !run.send_done) {
      asio::co_spawn(executor, send_probe(run, secret),
                     net::on_failure([&run](const std::string& why) {
                       run.result.subchecks.push_back(
                           {core::State::unknown, "send: internal error: " + why, {}});
                     }));
    }
  };
  auto endpoint = graph_endpoint(options);
  if (!endpoint) {
    receive_failed(run, endpoint.failure());
    start_sending();
    co_return;
  }
  auto credentials = options.receive_credentials;
  LoginToken login(options.receive_oauth, run.result, "receive_token", options.transcript,
                   run.deadline);
  auto token = co_await graph_access_token(login, credentials);
  if (!token) {
    receive_failed(run, token.failure());
    start_sending();
    co_return;
  }
  graph::Client client(executor, *endpoint, *token, run.deadline);
  if (options.transcript) client.set_transcript(&run.result.transcript);
  std::set<std::string> seen;
  std::vector<std::string> deletable;
  Look looker{run, client, credentials.user, secret, seen, deletable};
  auto inbox = graph_folder(options.mailbox);
  auto now_ms = unix_ms(std::chrono::system_clock::now());
  auto since_ms =
      now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(clock_margin).count();

  // First every probe there is, before this run's is sent: earlier runs' are counted.
  auto previous = Clock::now();
  auto oldest_ms =
      now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(oldest_probe).count();
  auto first =
      co_await scan_renewing(looker, login, credentials, inbox, false, oldest_ms, previous);
  if (!first) {
    receive_failed(run, first.failure());
    start_sending();
    co_await client.close();
    co_return;
  }
  run.receive_ok = true;
  run.receive_method = "Graph polling";
  start_sending();
  auto poll = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.poll_seconds));
  bool failed = false;
  while (!run.own_arrived()) {
    if (run.nothing_coming()) break;
    auto until = run.wait_until();
    if (Clock::now() >= until) break;
    co_await sleep_until(std::min(until, previous + poll));
    auto started = Clock::now();
    // The window starts at the previous look, not at the 202 or 250: a fast mail system
    // delivers before that answer has reached mailprobe.
    auto looked =
        co_await scan_renewing(looker, login, credentials, inbox, false, since_ms, previous);
    if (!looked) {
      receive_failed(run, looked.failure());
      failed = true;
      break;
    }
    previous = started;
  }
  if (!options.keep && !failed) {
    if (auto deleted = co_await delete_counted(looker); !deleted) {
      receive_failed(run, deleted.failure());
      failed = true;
    }
  }
  // Junk: where Exchange Online Protection files what it takes for spam.
  if (!options.junk_folder.empty() && !failed) {
    auto junk =
        co_await scan_renewing(looker, login, credentials, graph_folder(options.junk_folder), true,
                               oldest_ms, Clock::now());
    if (!junk) {
      receive_failed(run, junk.failure());
    } else if (!options.keep) {
      if (auto deleted = co_await delete_counted(looker); !deleted) {
        receive_failed(run, deleted.failure());
      }
    }
  }
  if (client.throttled_count() > 0) {
    run.result.notes.push_back(
        "Graph throttled " + std::to_string(client.throttled_count()) + " request(s): waited " +
        core::format_seconds(client.throttled_seconds()) + " as Retry-After asked");
  }
  co_await client.close();
}

}  // namespace mailprobe::probes::roundtrip
