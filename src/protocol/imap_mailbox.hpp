#pragma once
// Mailbox operations on top of ImapClient: SELECT, UID SEARCH, UID FETCH of header fields,
// and deleting exactly the messages named by UID (RFC 9051, RFC 4315 UIDPLUS).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/imap_client.hpp"

namespace mailprobe::protocol {

struct MailboxStatus {
  std::uint32_t exists = 0;
  std::uint32_t uid_next = 0;
  std::uint32_t uid_validity = 0;
};

// SELECT (or EXAMINE when `read_only`).
asio::awaitable<core::Outcome<MailboxStatus>> select_mailbox(ImapClient& imap, std::string mailbox,
                                                             bool read_only);

// UID SEARCH for messages that have the header `field` (an empty search string matches
// every message with the field, RFC 9051 section 6.4.4), with UID `first_uid` or above.
asio::awaitable<core::Outcome<std::vector<std::uint32_t>>> search_header(ImapClient& imap,
                                                                         std::string field,
                                                                         std::uint32_t first_uid);

struct FetchedHeaders {
  std::uint32_t uid = 0;
  std::string internal_date;  // "22-Nov-2026 12:00:00 +0000", the server's arrival time
  std::string headers;        // the requested header fields, as sent
};

// UID FETCH (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (fields)]): does not set \Seen.
asio::awaitable<core::Outcome<std::vector<FetchedHeaders>>> fetch_headers(
    ImapClient& imap, const std::vector<std::uint32_t>& uids, std::string fields);

// Marks exactly these messages \Deleted and expunges exactly them with UID EXPUNGE; a
// plain EXPUNGE would also remove what others marked deleted, so without UIDPLUS the
// messages are only marked. Returns whether they were expunged.
asio::awaitable<core::Outcome<bool>> delete_messages(ImapClient& imap,
                                                     const std::vector<std::uint32_t>& uids,
                                                     bool uidplus);

// Parsers behind the above, without I/O.
std::vector<std::uint32_t> parse_search_response(std::string_view text);  // "SEARCH 3 7"
bool parse_fetch_response(const ImapResponse& response, FetchedHeaders& out);
std::string uid_set(const std::vector<std::uint32_t>& uids);  // "3,7,9"

}  // namespace mailprobe::protocol
