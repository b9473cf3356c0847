#pragma once
// Microsoft Graph's mail answers and requests, without I/O: the message list that
// GET /users/{id}/mailFolders/{folder}/messages answers ({"value":[...],
// "@odata.nextLink":...}), the error every failed call answers ({"error":{"code",
// "message","innerError":{...}}}), DateTimeOffset values, Retry-After, and the sendMail
// body and OData query text mailprobe sends.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/outcome.hpp"

namespace mailprobe::protocol::graph {

// What a list answer says of one message (the properties mailprobe selects).
struct Message {
  std::string id;
  std::string subject;
  std::string internet_message_id;
  std::optional<std::int64_t> received_ms;  // receivedDateTime, ms since the epoch
  // internetMessageHeaders (returned only when $select names them) as a header block of
  // "Name: value" lines ending in CRLF, so that the round trip reads a probe's token from
  // it as from the message itself. Empty when the answer had none.
  std::string headers;
};

struct MessagePage {
  std::vector<Message> messages;
  std::string next_link;  // @odata.nextLink: the next page's URL; empty on the last page
};

// At most this many messages in one page (Graph's $top goes up to 1000).
constexpr std::size_t max_page_messages = 1000;

// Parses a list answer. Failures are phase "graph", kind protocol, and say what is wrong.
core::Outcome<MessagePage> parse_message_page(std::string_view body);

struct Error {
  std::string code;     // "ErrorAccessDenied", "InvalidAuthenticationToken", ...
  std::string message;  // "Access is denied. Check credentials and try again."
};

// The error of a failed call; nullopt when the body is not Graph's error shape.
std::optional<Error> parse_error(std::string_view body);
// "403 ErrorAccessDenied (Access is denied. Check credentials and try again.)": the status,
// the code and the message's first line; "502 Bad Gateway" when the body is no Graph error.
std::string describe_error(unsigned status, std::string_view reason, std::string_view body);

// "2026-11-22T12:00:00Z", "2026-11-22T12:00:00.1234567Z", "2026-11-22T13:00:00+01:00":
// milliseconds since the epoch; nullopt when malformed.
std::optional<std::int64_t> parse_date_time(std::string_view text);
// An OData DateTimeOffset literal in whole seconds, UTC: "2026-11-22T12:00:00Z".
std::string format_date_time(std::int64_t ms);

// Seconds to wait from a Retry-After value (RFC 9110 section 10.2.3): delay-seconds or an
// HTTP-date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"); nullopt when malformed.
std::optional<double> parse_retry_after(std::string_view value,
                                        std::chrono::system_clock::time_point now);

// An OData string literal: in single quotes, a quote doubled ("it's" -> 'it''s').
std::string odata_string(std::string_view text);
// Percent-encodes all but RFC 3986's unreserved characters: for a path segment (a user,
// a message id) or a query value.
std::string percent_encode(std::string_view text);

// A plain-text message for POST /users/{id}/sendMail.
struct OutgoingMessage {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string body;
  // Custom Internet message headers: Graph accepts only names starting with "x-".
  std::vector<std::pair<std::string, std::string>> headers;
  bool save_to_sent_items = false;
};
// {"message":{...},"saveToSentItems":false}
std::string send_mail_body(const OutgoingMessage& message);

}  // namespace mailprobe::protocol::graph
