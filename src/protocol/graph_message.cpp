#include "protocol/graph_message.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <charconv>

#include "core/civil_time.hpp"
#include "core/format.hpp"

namespace mailprobe::protocol::graph {

namespace json = boost::json;

namespace {

core::Failure protocol_failure(std::string message) {
  return {"graph", core::FailureKind::protocol, std::move(message)};
}

using core::excerpt;

std::optional<json::value> parse_json(std::string_view body) {
  json::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  auto value = json::parse(json::string_view(body.data(), body.size()), ec, {}, options);
  if (ec) return std::nullopt;
  return value;
}

// A string member: its text, "" when absent or null, nullopt when of another type.
std::optional<std::string> string_member(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

// A header value on one line: a CR or LF inside would start a header of its own.
std::string one_line(std::string_view text) {
  std::string line(text);
  std::replace_if(
      line.begin(), line.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return line;
}

std::optional<int> digits(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

core::Outcome<Message> parse_message(const json::value& item, std::size_t index) {
  auto where = "message " + std::to_string(index + 1) + " of the list";
  if (!item.is_object()) return protocol_failure(where + " is not a JSON object");
  const auto& object = item.get_object();
  Message message;
  auto id = string_member(object, "id");
  if (!id || id->empty()) return protocol_failure(where + " has no id");
  message.id = *id;
  auto subject = string_member(object, "subject");
  auto internet_id = string_member(object, "internetMessageId");
  auto received = string_member(object, "receivedDateTime");
  if (!subject || !internet_id || !received) {
    return protocol_failure(where +
                            ": subject, internetMessageId or receivedDateTime is no string");
  }
  message.subject = *subject;
  message.internet_message_id = *internet_id;
  if (!received->empty()) {
    message.received_ms = parse_date_time(*received);
    if (!message.received_ms) {
      return protocol_failure(where + ": receivedDateTime '" + excerpt(*received) +
                              "' is not a date and time");
    }
  }
  if (const auto* headers = object.if_contains("internetMessageHeaders");
      headers != nullptr && !headers->is_null()) {
    if (!headers->is_array())
      return protocol_failure(where + ": internetMessageHeaders is no list");
    for (const auto& header : headers->get_array()) {
      const auto* fields = header.if_object();
      auto name = fields != nullptr ? string_member(*fields, "name") : std::nullopt;
      auto value = fields != nullptr ? string_member(*fields, "value") : std::nullopt;
      // A header without a usable name is left out: it cannot be one of mailprobe's.
      if (!name || !value || name->empty() || name->find_first_of(":\r\n ") != std::string::npos) {
        continue;
      }
      message.headers += *name + ": " + one_line(*value) + "\r\n";
    }
  }
  return message;
}

}  // namespace

core::Outcome<MessagePage> parse_message_page(std::string_view body) {
  auto parsed = parse_json(body);
  if (!parsed)
    return protocol_failure("malformed JSON in the message list: '" + excerpt(body) + "'");
  if (!parsed->is_object()) return protocol_failure("the message list is not a JSON object");
  const auto& object = parsed->get_object();
  const auto* value = object.if_contains("value");
  if (value == nullptr || !value->is_array()) {
    return protocol_failure("the message list has no \"value\" array: '" + excerpt(body) + "'");
  }
  const auto& items = value->get_array();
  if (items.size() > max_page_messages) {
    return protocol_failure("the message list holds " + std::to_string(items.size()) +
                            " messages, more than the " + std::to_string(max_page_messages) +
                            " one page may have");
  }
  MessagePage page;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto message = parse_message(items[i], i);
    if (!message) return message.failure();
    page.messages.push_back(std::move(*message));
  }
  auto next = string_member(object, "@odata.nextLink");
  if (!next) return protocol_failure("@odata.nextLink is not a string");
  page.next_link = *next;
  return page;
}

std::optional<Error> parse_error(std::string_view body) {
  auto parsed = parse_json(body);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  const auto* error = parsed->get_object().if_contains("error");
  if (error == nullptr || !error->is_object()) return std::nullopt;
  auto code = string_member(error->get_object(), "code");
  auto message = string_member(error->get_object(), "message");
  if (!code || code->empty()) return std::nullopt;
  return Error{*code, message.value_or("")};
}

std::string describe_error(unsigned status, std::string_view reason, std::string_view body) {
  std::string text = std::to_string(status);
  auto error = parse_error(body);
  if (!error) return reason.empty() ? text : text + " " + std::string(reason);
  text += " " + one_line(error->code);
  auto message = std::string_view(error->message);
  message = message.substr(0, message.find_first_of("\r\n"));
  if (message.size() > 300) message = message.substr(0, 300);
  if (!message.empty()) text += " (" + std::string(message) + ")";
  return text;
}

std::optional<std::int64_t> parse_date_time(std::string_view text) {
  if (text.size() < 20) return std::nullopt;
  auto civil = core::parse_civil_time(text.substr(0, 19));
  if (!civil || text[10] != 'T') return std::nullopt;
  auto rest = text.substr(19);
  std::int64_t millis = 0;
  if (rest.front() == '.') {
    auto end = rest.find_first_not_of("0123456789", 1);
    if (end == 1 || end == std::string_view::npos) return std::nullopt;
    auto fraction = std::string(rest.substr(1, end - 1)) + "00";
    millis = *digits(std::string_view(fraction).substr(0, 3));
    rest.remove_prefix(end);
  }
  std::int64_t offset_minutes = 0;
  if (rest == "Z") {
    offset_minutes = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    auto hours = digits(rest.substr(1, 2));
    auto minutes = digits(rest.substr(4, 2));
    if (!hours || !minutes || *hours > 23 || *minutes > 59) return std::nullopt;
    offset_minutes = std::int64_t{*hours * 60 + *minutes} * (rest[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  auto seconds = civil->as_utc().time_since_epoch().count() - offset_minutes * 60;
  return seconds * 1000 + millis;
}

std::string format_date_time(std::int64_t ms) {
  auto seconds =
      std::chrono::sys_seconds(std::chrono::seconds(ms >= 0 ? ms / 1000 : (ms - 999) / 1000));
  return core::format_civil_time(core::CivilTime::from_utc(seconds)) + "Z";
}

std::optional<double> parse_retry_after(std::string_view value,
                                        std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return std::nullopt;
    return static_cast<double>(*digits(value));
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 section 5.6.7).
  if (value.size() != 29 || value.substr(3, 2) != ", " || value.substr(25) != " GMT") {
    return std::nullopt;
  }
  static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  auto month = months.find(value.substr(8, 3));
  if (month == std::string_view::npos || month % 3 != 0) return std::nullopt;
  auto civil =
      core::parse_civil_time(std::string(value.substr(12, 4)) + "-" + (month / 3 < 9 ? "0" : "") +
                             std::to_string(month / 3 + 1) + "-" + std::string(value.substr(5, 2)) +
                             "T" + std::string(value.substr(17, 8)));
  if (!civil) return std::nullopt;
  // In seconds: a date centuries ahead overflows a difference in the clock's nanoseconds.
  auto wait = (civil->as_utc() - std::chrono::time_point_cast<std::chrono::seconds>(now)).count();
  return static_cast<double>(std::max<std::int64_t>(0, wait));
}

std::string odata_string(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c;
    if (c == '\'') quoted += '\'';
  }
  return quoted + "'";
}

std::string percent_encode(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

std::string send_mail_body(const OutgoingMessage& message) {
  auto address = [](const std::string& text) {
    return json::object{{"emailAddress", json::object{{"address", text}}}};
  };
  json::array to;
  for (const auto& recipient : message.to)
    to.push_back(address(recipient));
  json::array headers;
  for (const auto& [name, value] : message.headers)
    headers.push_back(json::object{{"name", name}, {"value", value}});
  json::object body{{"contentType", "Text"}, {"content", message.body}};
  json::object mail{{"subject", message.subject},
                    {"body", std::move(body)},
                    {"from", address(message.from)},
                    {"toRecipients", std::move(to)}};
  if (!headers.empty()) mail["internetMessageHeaders"] = std::move(headers);
  json::object request{{"message", std::move(mail)},
                       {"saveToSentItems", message.save_to_sent_items}};
  return json::serialize(request);
}

}  // namespace mailprobe::protocol::graph
