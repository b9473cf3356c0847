#include "protocol/imap_parse.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/ascii.hpp"

namespace mailprobe::protocol {

namespace {

bool is_status(std::string_view word) {
  return word == "OK" || word == "NO" || word == "BAD" || word == "BYE" || word == "PREAUTH";
}

// Splits "STATUS [CODE] text" into its parts.
void parse_status_text(std::string_view rest, ImapResponse& response) {
  auto space = rest.find(' ');
  auto word = core::ascii_upper(rest.substr(0, space));
  if (!is_status(word)) {
    response.text = std::string(rest);
    return;
  }
  response.status = word;
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close != std::string_view::npos) {
      response.code = std::string(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
      if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    }
  }
  response.text = std::string(rest);
}

bool is_tag_char(char c) {
  auto byte = static_cast<unsigned char>(c);
  // RFC 9051 tag: ASTRING-CHAR except "+"; no controls, spaces or specials.
  return byte > 0x20 && byte < 0x7f && c != '(' && c != ')' && c != '{' && c != '%' && c != '*' &&
         c != '"' && c != '\\' && c != '+';
}

}  // namespace

std::optional<ImapResponse> parse_imap_line(std::string_view line) {
  ImapResponse response;
  response.line = std::string(line);
  if (line.rfind("* ", 0) == 0) {
    response.kind = ImapResponse::Kind::untagged;
    parse_status_text(line.substr(2), response);
    return response;
  }
  if (line == "+" || line.rfind("+ ", 0) == 0) {
    response.kind = ImapResponse::Kind::continuation;
    response.text = line.size() > 2 ? std::string(line.substr(2)) : std::string();
    return response;
  }
  auto space = line.find(' ');
  if (space == 0 || space == std::string_view::npos) return std::nullopt;
  auto tag = line.substr(0, space);
  if (!std::all_of(tag.begin(), tag.end(), is_tag_char)) return std::nullopt;
  response.kind = ImapResponse::Kind::tagged;
  response.tag = std::string(tag);
  parse_status_text(line.substr(space + 1), response);
  if (response.status.empty() || response.status == "BYE" || response.status == "PREAUTH") {
    return std::nullopt;  // a tagged response is OK, NO or BAD
  }
  return response;
}

std::optional<std::size_t> trailing_literal_size(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  auto open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  auto digits = line.substr(open + 1, line.size() - open - 2);
  if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
  if (digits.empty() || digits.size() > 12) return std::nullopt;
  std::size_t size = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
  return size;
}

std::vector<std::string> parse_capability_list(std::string_view text) {
  std::vector<std::string> atoms;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ')
      ++i;
    auto start = i;
    while (i < text.size() && text[i] != ' ')
      ++i;
    if (i > start) atoms.push_back(core::ascii_upper(text.substr(start, i - start)));
  }
  if (!atoms.empty() && atoms.front() == "CAPABILITY") atoms.erase(atoms.begin());
  return atoms;
}

std::optional<std::string> imap_quote(std::string_view value) {
  std::string quoted = "\"";
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if (byte == 0 || c == '\r' || c == '\n' || byte >= 0x80) return std::nullopt;
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

}  // namespace mailprobe::protocol
