#pragma once
// SMTP replies (RFC 5321 section 4.2) and EHLO keywords, parsed without I/O.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mailprobe::protocol {

struct SmtpReplyLine {
  int code = 0;
  bool last = true;       // "250 text" ends a reply, "250-text" continues it
  std::string_view text;  // after the separator
};

// nullopt when `line` does not start with three digits followed by ' ', '-' or the end.
std::optional<SmtpReplyLine> parse_smtp_reply_line(std::string_view line);

struct SmtpReply {
  int code = 0;
  std::vector<std::string> lines;  // whole lines as received, "250-PIPELINING"

  bool positive() const { return code >= 200 && code < 400; }
  // The first line, for messages: "554 5.7.1 Relay access denied".
  std::string first_line() const { return lines.empty() ? std::string() : lines.front(); }
};

// Feeds lines of one reply; says when it is complete or malformed. Bounded: a reply of more
// than `max_lines` lines or `max_bytes` bytes is malformed (a hostile server cannot grow it
// without limit). RFC 5321 section 4.5.3.1.5 allows 512 octets a reply line.
class SmtpReplyParser {
 public:
  enum class Status { more, complete, malformed };
  static constexpr std::size_t default_max_bytes = std::size_t{128} * 1024;
  explicit SmtpReplyParser(std::size_t max_lines = 256, std::size_t max_bytes = default_max_bytes)
      : max_lines_(max_lines), max_bytes_(max_bytes) {}

  Status feed(std::string line);
  const SmtpReply& reply() const { return reply_; }
  SmtpReply& reply() { return reply_; }
  // Why the reply is malformed.
  const std::string& error() const { return error_; }

 private:
  std::size_t max_lines_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  SmtpReply reply_;
  std::string error_;
};

struct SmtpCapabilities {
  std::set<std::string> keywords;         // upper case: "STARTTLS", "PIPELINING", ...
  std::vector<std::string> auth_methods;  // upper case, in the server's order

  bool has(std::string_view keyword) const { return keywords.count(std::string(keyword)) > 0; }
  bool offers_auth(std::string_view mechanism) const;
};

// The keywords of a 250 reply to EHLO/LHLO (its first line is the greeting, not a keyword).
SmtpCapabilities parse_ehlo(const SmtpReply& reply);

}  // namespace mailprobe::protocol
