// Microsoft Graph's mail answers: the message list (value, internetMessageHeaders,
// receivedDateTime, @odata.nextLink), the error shape, and the values a throttled answer
// carries (Retry-After), as the round trip's Graph legs read them.
#include <chrono>

#include "fuzz_target.hpp"
#include "protocol/graph_message.hpp"

MAILPROBE_FUZZ_TARGET(graph_json) {
  using namespace mailprobe::protocol::graph;
  auto body = mailprobe::fuzz::as_text(data, size);
  if (auto page = parse_message_page(body)) {
    for (const auto& message : page->messages)
      static_cast<void>(message.headers.size());
  }
  static_cast<void>(describe_error(400, "Bad Request", body));
  static_cast<void>(parse_date_time(body));
  static_cast<void>(parse_retry_after(body, std::chrono::system_clock::time_point{}));
  return 0;
}
