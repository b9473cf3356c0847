#include "protocol/smtp_reply.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/ascii.hpp"
#include "core/format.hpp"

namespace mailprobe::protocol {

using core::ascii_upper;

std::optional<SmtpReplyLine> parse_smtp_reply_line(std::string_view line) {
  if (line.size() < 3) return std::nullopt;
  for (int i = 0; i < 3; ++i) {
    if (std::isdigit(static_cast<unsigned char>(line[static_cast<std::size_t>(i)])) == 0) {
      return std::nullopt;
    }
  }
  // RFC 5321 4.2: the first digit is 2..5; accept 1 as well, nothing else.
  if (line[0] < '1' || line[0] > '5') return std::nullopt;
  SmtpReplyLine parsed;
  parsed.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (line.size() == 3) return parsed;
  if (line[3] != ' ' && line[3] != '-') return std::nullopt;
  parsed.last = line[3] == ' ';
  parsed.text = line.substr(4);
  return parsed;
}

SmtpReplyParser::Status SmtpReplyParser::feed(std::string line) {
  auto parsed = parse_smtp_reply_line(line);
  if (!parsed) {
    error_ = "not an SMTP reply: '" + line.substr(0, 200) + "'";
    return Status::malformed;
  }
  if (!reply_.lines.empty() && parsed->code != reply_.code) {
    error_ = "reply code changed from " + std::to_string(reply_.code) + " to " +
             std::to_string(parsed->code) + " within one reply";
    return Status::malformed;
  }
  if (reply_.lines.size() >= max_lines_) {
    error_ = "reply longer than " + std::to_string(max_lines_) + " lines";
    return Status::malformed;
  }
  bytes_ += line.size() + 2;
  if (bytes_ > max_bytes_) {
    error_ = "reply larger than " + core::format_size(max_bytes_);
    return Status::malformed;
  }
  bool last = parsed->last;
  reply_.code = parsed->code;
  reply_.lines.push_back(std::move(line));
  return last ? Status::complete : Status::more;
}

bool SmtpCapabilities::offers_auth(std::string_view mechanism) const {
  auto wanted = ascii_upper(mechanism);
  return std::find(auth_methods.begin(), auth_methods.end(), wanted) != auth_methods.end();
}

SmtpCapabilities parse_ehlo(const SmtpReply& reply) {
  SmtpCapabilities caps;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    auto parsed = parse_smtp_reply_line(reply.lines[i]);
    if (!parsed) continue;
    std::istringstream words{std::string(parsed->text)};
    std::string keyword;
    if (!(words >> keyword)) continue;
    keyword = ascii_upper(keyword);
    // Old servers announce "AUTH=LOGIN PLAIN" as well as "AUTH LOGIN PLAIN".
    std::vector<std::string> methods;
    if (keyword.rfind("AUTH=", 0) == 0) {
      methods.push_back(keyword.substr(5));
      keyword = "AUTH";
    }
    caps.keywords.insert(keyword);
    if (keyword != "AUTH") continue;
    std::string method;
    while (words >> method)
      methods.push_back(ascii_upper(method));
    for (auto& m : methods) {
      if (!m.empty() && std::find(caps.auth_methods.begin(), caps.auth_methods.end(), m) ==
                            caps.auth_methods.end()) {
        caps.auth_methods.push_back(std::move(m));
      }
    }
  }
  return caps;
}

}  // namespace mailprobe::protocol
