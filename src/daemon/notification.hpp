#pragma once
// What a notification says, and when one is due. The decision is a pure function of what
// this daemon has already told, its own view of the check and what its peers see, so that
// it can be tested without a network; the Notifier does the sending.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/state.hpp"
#include "daemon/check_status.hpp"

namespace mailprobe::daemon {

enum class EventKind {
  problem,   // a hard problem (or a problem that changed its state: WARNING to CRITICAL)
  reminder,  // the problem lasts and the re-notification interval has passed
  recovery,  // the problem is over
};

std::string_view event_kind_name(EventKind kind);

struct Event {
  EventKind kind = EventKind::problem;
  std::string check;
  std::string plugin;
  core::State state = core::State::unknown;     // the check's state now
  core::State previous = core::State::unknown;  // what was notified before (OK for a first problem)
  std::string summary;                          // the check's status line
  WallClock::time_point since{};                // when the problem began
  WallClock::time_point time{};                 // of this event
  std::string location;                         // of the daemon that sends it
  std::vector<std::string> locations_down;      // locations that see the problem (quorum)
  int quorum = 1;
  std::map<std::string, std::string> labels;
};

// "PROBLEM imap login CRITICAL at lab: IMAP CRITICAL - ..." in one line, for an SMS, a
// log line and the subject of an email (shortened there).
std::string event_text(const Event& event);
// The webhook's body: {"event": "problem", "check": ..., "state": "CRITICAL", ...}.
std::string event_json(const Event& event);
// The environment of a notification command: MAILPROBE_EVENT, MAILPROBE_CHECK, ... and
// MAILPROBE_LABEL_<NAME> for every label (the name upper-cased).
std::vector<std::string> event_environment(const Event& event);
// A complete RFC 5322 message (CRLF line ends) from `from` to `to`.
std::string event_email(const Event& event, const std::string& from,
                        const std::vector<std::string>& to, const std::string& message_id);

// What this daemon has notified about one check and not yet seen recover.
struct Notified {
  core::State state = core::State::unknown;
  WallClock::time_point first{};
  WallClock::time_point last{};
};

// How the locations see one check right now.
struct Agreement {
  std::vector<std::string> down;  // locations with a hard problem, this one included, sorted
  bool covered_by_peer = false;   // a peer that sees the problem has notified it already
  int unreachable = 0;            // peers that could not be asked: they might see it too
};

struct NotifyInput {
  std::optional<Notified> notified;  // this daemon's own notification, if any
  bool own_down = false;             // this daemon sees a hard problem
  core::State own_state = core::State::ok;
  Agreement agreement;
  std::string location;  // this daemon's
  int quorum = 1;
  std::chrono::milliseconds renotify{0};  // 0: no reminders
  WallClock::time_point now{};
};

// The notification due, if any. A problem is told once, by one location: the quorum of
// locations must see it, no peer has told it yet, and this location is the first by name
// of those that see it (so that N daemons send one message, not N). It is recovered when
// fewer than the quorum still see it, by the daemon that told it; a peer that cannot be
// asked counts as seeing it still (a network split is no recovery), but never toward a
// problem.
std::optional<EventKind> decide(const NotifyInput& input);

}  // namespace mailprobe::daemon
