// SMTP reply lines as the client reads them: each line through the reply parser (multi-line
// replies, their bounds, malformed codes), EHLO keywords from each complete reply.
#include "protocol/smtp_reply.hpp"

#include "fuzz_target.hpp"

MAILPROBE_FUZZ_TARGET(smtp_reply) {
  using namespace mailprobe::protocol;
  auto text = mailprobe::fuzz::as_text(data, size);
  SmtpReplyParser parser(16, 4096);
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    static_cast<void>(parse_smtp_reply_line(line));
    auto status = parser.feed(std::string(line));
    if (status == SmtpReplyParser::Status::more) continue;
    if (status == SmtpReplyParser::Status::complete) {
      auto capabilities = parse_ehlo(parser.reply());
      static_cast<void>(capabilities.offers_auth("PLAIN"));
      static_cast<void>(parser.reply().first_line());
    }
    parser = SmtpReplyParser(16, 4096);
  }
  return 0;
}
