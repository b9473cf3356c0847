// POP3 and IMAP response lines without I/O: POP3 status lines, IMAP responses (tagged,
// untagged, continuation, response codes), literal announcements, CAPABILITY lists,
// SEARCH results and FETCH responses with a literal, as the clients parse them.
#include "fuzz_target.hpp"
#include "protocol/imap_mailbox.hpp"
#include "protocol/imap_parse.hpp"
#include "protocol/pop3_client.hpp"

MAILPROBE_FUZZ_TARGET(mailbox_lines) {
  using namespace mailprobe::protocol;
  auto [selector, text] = mailprobe::fuzz::select(data, size);
  // The line, and after the first NUL (if any) the literal that followed it.
  auto nul = text.find('\0');
  auto line = text.substr(0, nul);
  auto literal = nul == std::string_view::npos ? std::string_view() : text.substr(nul + 1);
  switch (selector % 3) {
    case 0:
      static_cast<void>(parse_pop3_status(line));
      break;
    case 1: {
      static_cast<void>(trailing_literal_size(line));
      auto response = parse_imap_line(line);
      if (!response) break;
      if (!literal.empty()) response->literals.emplace_back(literal);
      static_cast<void>(parse_capability_list(response->code));
      static_cast<void>(parse_capability_list(response->text));
      static_cast<void>(parse_search_response(response->text));
      FetchedHeaders fetched;
      static_cast<void>(parse_fetch_response(*response, fetched));
      break;
    }
    default:
      static_cast<void>(imap_quote(line));
      static_cast<void>(parse_capability_list(line));
      break;
  }
  return 0;
}
