#pragma once
// IMAP response lines (RFC 9051 section 7, RFC 3501), parsed without I/O.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailprobe::protocol {

struct ImapResponse {
  enum class Kind { untagged, tagged, continuation };
  Kind kind = Kind::untagged;
  std::string tag;     // tagged responses only
  std::string status;  // "OK", "NO", "BAD", "BYE", "PREAUTH" (upper case), or "" for data
  std::string code;    // the response code inside [...]: "CAPABILITY IMAP4rev1 ..."
  std::string text;    // after tag/"*" and status; for data responses everything after "* "
  std::string line;    // the whole first line
  std::vector<std::string> literals;  // contents of {n} literals that followed

  bool ok() const { return status == "OK"; }
};

// nullopt when the line is neither "* ...", "+ ..." nor "<tag> OK|NO|BAD ...".
std::optional<ImapResponse> parse_imap_line(std::string_view line);

// The size announced by a literal at the end of a line ("{42}" or "{42+}"); nullopt if none.
std::optional<std::size_t> trailing_literal_size(std::string_view line);

// Capability atoms, upper case: "IMAP4REV1", "STARTTLS", "AUTH=PLAIN", "IDLE".
std::vector<std::string> parse_capability_list(std::string_view text);

// An IMAP quoted string ("..." with \" and \\ escaped); nullopt when the value needs a
// literal (CR, LF, NUL or 8-bit characters).
std::optional<std::string> imap_quote(std::string_view value);

}  // namespace mailprobe::protocol
