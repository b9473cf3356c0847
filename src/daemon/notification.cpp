#include "daemon/notification.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "daemon/api.hpp"
#include "output/json.hpp"
#include "probes/roundtrip_message.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::daemon {

namespace json = boost::json;

namespace {

// A header or SMS must stay one line whatever a server put in its reply.
std::string one_line(std::string text) {
  for (auto& c : text) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  return text;
}

std::string upper(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) != 0 ? static_cast<char>(std::toupper(u)) : '_';
  }
  return out;
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// A header value: printable ASCII stays as it is, anything else becomes an RFC 2047
// encoded word (UTF-8, base64), so that a check name in any script survives.
std::string header_value(const std::string& text) {
  bool plain = true;
  for (char c : text)
    plain = plain && c >= 0x20 && c < 0x7f;
  if (plain) return text;
  // An encoded word is at most 75 characters: 45 bytes of text each, never splitting a
  // UTF-8 sequence, on folded lines.
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = std::min(text.size(), start + 45);
    while (end < text.size() && end > start + 1 &&
           (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
      --end;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + protocol::base64_encode(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

}  // namespace

std::string_view event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::problem:
      return "problem";
    case EventKind::reminder:
      return "reminder";
    case EventKind::recovery:
      return "recovery";
  }
  return "problem";
}

std::string event_text(const Event& event) {
  return upper(event_kind_name(event.kind)) + " " + one_line(event.check) + " " +
         std::string(core::state_name(event.state)) + " at " + event.location + ": " +
         one_line(event.summary);
}

std::string event_json(const Event& event) {
  json::object labels;
  for (const auto& [name, value] : event.labels)
    labels[name] = value;
  json::array down;
  for (const auto& location : event.locations_down)
    down.emplace_back(location);
  json::object out{{"event", event_kind_name(event.kind)},
                   {"check", event.check},
                   {"plugin", event.plugin},
                   {"state", core::state_name(event.state)},
                   {"previous_state", core::state_name(event.previous)},
                   {"summary", event.summary},
                   {"since", iso8601(event.since)},
                   {"time", iso8601(event.time)},
                   {"location", event.location},
                   {"locations_down", std::move(down)},
                   {"quorum", event.quorum},
                   {"labels", std::move(labels)},
                   {"text", event_text(event)}};
  return output::serialize_json(out) + "\n";
}

std::vector<std::string> event_environment(const Event& event) {
  std::vector<std::string> env{
      "MAILPROBE_EVENT=" + std::string(event_kind_name(event.kind)),
      "MAILPROBE_CHECK=" + event.check,
      "MAILPROBE_PLUGIN=" + event.plugin,
      "MAILPROBE_STATE=" + std::string(core::state_name(event.state)),
      "MAILPROBE_PREVIOUS_STATE=" + std::string(core::state_name(event.previous)),
      "MAILPROBE_SUMMARY=" + one_line(event.summary),
      "MAILPROBE_SINCE=" + iso8601(event.since),
      "MAILPROBE_TIME=" + iso8601(event.time),
      "MAILPROBE_LOCATION=" + event.location,
      "MAILPROBE_LOCATIONS_DOWN=" + joined(event.locations_down, ","),
      "MAILPROBE_QUORUM=" + std::to_string(event.quorum),
      "MAILPROBE_TEXT=" + event_text(event),
  };
  for (const auto& [name, value] : event.labels)
    env.push_back("MAILPROBE_LABEL_" + upper(name) + "=" + one_line(value));
  return env;
}

std::string event_email(const Event& event, const std::string& from,
                        const std::vector<std::string>& to, const std::string& message_id) {
  auto subject = "[mailprobe] " + event_text(event);
  if (subject.size() > 200) subject = subject.substr(0, 197) + "...";
  std::string message;
  message += "Date: " + probes::rfc5322_date(event.time) + "\r\n";
  message += "From: " + from + "\r\n";
  message += "To: " + joined(to, ", ") + "\r\n";
  message += "Subject: " + header_value(subject) + "\r\n";
  message += "Message-ID: " + message_id + "\r\n";
  // RFC 3834: an automatic message; vacation responders stay quiet.
  message += "Auto-Submitted: auto-generated\r\n";
  message += "MIME-Version: 1.0\r\n";
  message += "Content-Type: text/plain; charset=utf-8\r\n";
  message += "Content-Transfer-Encoding: 8bit\r\n";
  message += "\r\n";
  auto line = [&](const std::string& name, const std::string& value) {
    message += name + ": " + one_line(value) + "\r\n";
  };
  line("Event", std::string(event_kind_name(event.kind)));
  line("Check", event.check);
  line("State", std::string(core::state_name(event.state)) +
                    " (before: " + std::string(core::state_name(event.previous)) + ")");
  line("Summary", event.summary);
  line("Since", iso8601(event.since));
  line("Location", event.location);
  line("Seen down at",
       event.locations_down.empty() ? std::string("none") : joined(event.locations_down, ", "));
  for (const auto& [name, value] : event.labels)
    line("Label " + name, value);
  return message;
}

std::optional<EventKind> decide(const NotifyInput& input) {
  const auto& down = input.agreement.down;
  bool quorum_met = static_cast<int>(down.size()) >= input.quorum;
  if (!input.notified) {
    if (!input.own_down || !quorum_met || input.agreement.covered_by_peer) return std::nullopt;
    if (down.empty() || down.front() != input.location) return std::nullopt;
    return EventKind::problem;
  }
  if (!quorum_met) {
    bool might_still_be_met =
        static_cast<int>(down.size()) + input.agreement.unreachable >= input.quorum;
    if (might_still_be_met) return std::nullopt;  // cannot tell: wait for the peers
    return EventKind::recovery;
  }
  if (input.own_down && input.own_state != input.notified->state) return EventKind::problem;
  if (input.renotify.count() > 0 && input.now - input.notified->last >= input.renotify) {
    return EventKind::reminder;
  }
  return std::nullopt;
}

}  // namespace mailprobe::daemon
