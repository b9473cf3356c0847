#pragma once
// The shared state of one round-trip run, between its sending and its receiving halves
// (internal to probes/roundtrip*.cpp).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "probes/login_token.hpp"
#include "probes/roundtrip.hpp"
#include "probes/roundtrip_message.hpp"
#include "probes/roundtrip_state.hpp"
#include "protocol/graph_client.hpp"

namespace mailprobe::probes::roundtrip {

using Clock = std::chrono::steady_clock;

// A probe of ours counted in this run.
struct Arrival {
  std::string id;
  bool this_run = false;
  bool late = false;  // it had been declared lost
  bool junk = false;
  double rtt_seconds = 0;
  bool precise = false;                    // measured on the monotonic clock, not from server dates
  std::optional<double> outbound_seconds;  // reflector legs (two clocks)
  std::optional<double> inbound_seconds;
};

struct Run {
  Run(const RoundTripOptions& o, RoundTripState& s, core::ProbeResult& r, core::Deadline d,
      boost::asio::any_io_executor executor)
      : options(o), state(s), result(r), deadline(d), send_finished(executor) {
    send_finished.expires_at(Clock::time_point::max());
  }

  const RoundTripOptions& options;
  RoundTripState& state;
  core::ProbeResult& result;
  core::Deadline deadline;

  // Sending half
  std::string probe_id;
  bool send_done = false;
  bool send_ok = false;
  std::optional<Clock::time_point> accepted_at;  // the final 250 after DATA (Graph: the 202)
  std::int64_t accepted_ms = 0;
  boost::asio::steady_timer send_finished;  // cancelled when the sending half ends

  // Receiving half
  bool receive_ok = false;
  std::string receive_method;  // "IMAP IDLE", "IMAP polling", "POP3 polling", "Graph polling"
  std::vector<Arrival> arrivals;
  // This run's probe was seen before the answer to its sending: look again once it is in
  // (the mailbox will not announce that message a second time).
  bool own_seen_early = false;
  int foreign = 0;  // genuine probes in the mailbox that are not this check's

  bool own_arrived() const;
  // The sending failed and nothing of this run's is in the mailbox: stop waiting. (A probe
  // seen early is still looked at again, to be counted and deleted as an earlier run's.)
  bool nothing_coming() const { return send_done && !send_ok && !own_seen_early; }
  // This run's probe was seen early and now its clock start is known, or it will never be.
  bool look_again_now() const { return own_seen_early && (accepted_at || send_done); }
  // When this run stops waiting for its own message.
  Clock::time_point wait_until() const;
};

// A message seen in the mailbox with its header fields.
struct Sighting {
  std::string headers;
  bool junk = false;
  Clock::time_point seen_at;
  std::optional<std::int64_t> server_arrival_ms;  // INTERNALDATE or Received date
  std::string where;                              // "UID 7", "message 3": for notes
};

// What a message seen in the mailbox is to this run.
enum class Sighted {
  passed,      // not ours, or not ours to delete (kept, or counted by another run)
  ours,        // one of this check's probes (or reflections), counted: ours to delete
  look_again,  // this run's probe, seen before the answer to its sending came back
};

// Counts a sighting if it is one of this check's probes (or reflections). A look_again
// message is not counted: the caller looks at it again once the answer is in.
Sighted handle_sighting(Run& run, const Sighting& sighting, const std::string& secret);

// A failure of the receiving half: a CRITICAL subcheck, and the run's failure if first.
void receive_failed(Run& run, const core::Failure& failure);
boost::asio::awaitable<void> sleep_until(Clock::time_point until);

boost::asio::awaitable<void> send_probe(Run& run, std::string secret);
boost::asio::awaitable<void> receive_imap(Run& run, std::string secret);
boost::asio::awaitable<void> receive_pop3(Run& run, std::string secret);
boost::asio::awaitable<void> receive_graph(Run& run, std::string secret);

// Microsoft Graph for a leg: the endpoint of options.graph_url.
core::Outcome<protocol::graph::Endpoint> graph_endpoint(const RoundTripOptions& options);
// The OAuth 2.0 access token a Graph leg presents: the one place where it comes in. With
// --oauth-* (`login` active) one for Graph from the leg's token source, put into
// `credentials` and timed as `login`'s phase; else the leg's secret (a token file).
boost::asio::awaitable<core::Outcome<std::string>> graph_access_token(
    LoginToken& login, protocol::Credentials& credentials);
// After a Graph call failed with `failure`: true when Graph refused the token (401, RFC 6750
// section 3.1) and a renewed one is now the client's, so that the call is worth one more try.
// `worked_before`: Graph took the token earlier in the run (it ran out or was revoked since).
boost::asio::awaitable<core::Outcome<bool>> renew_graph_token(LoginToken& login,
                                                              protocol::Credentials& credentials,
                                                              protocol::graph::Client& client,
                                                              const core::Failure& failure,
                                                              bool worked_before = false);

// Milliseconds since the epoch from an IMAP INTERNALDATE ("22-Nov-2026 12:00:00 +0000")
// or an RFC 5322 date ("Sat, 22 Nov 2026 12:00:00 +0000").
std::optional<std::int64_t> parse_internal_date(std::string_view text);
std::optional<std::int64_t> parse_rfc5322_date(std::string_view text);
// The date of the first Received header ("...; Sat, 22 Nov 2026 12:00:00 +0000"), which
// the last hop, the mailbox's own server, puts on top (RFC 5321 section 4.4): when a POP3
// message arrived. nullopt without one.
std::optional<std::int64_t> received_time(std::string_view headers);

}  // namespace mailprobe::probes::roundtrip
