// The SPF macro language (RFC 7208 section 7) and domain names made from it: the part of
// protocol/spf_record.hpp that turns a domain-spec into a name to look up.

#include <algorithm>
#include <cctype>
#include <cstddef>

#include "protocol/spf_record.hpp"

namespace mailprobe::protocol {

namespace {

// The expansion keeps at most this much before it drops text on the left: a domain name is
// at most 253 octets and section 7.3 cuts it from the left, so the right end is all that
// can matter, and a record that repeats %{d} a thousand times costs no more than this.
constexpr std::size_t expansion_keep = 1024;
constexpr std::size_t expansion_limit = 4096;

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// l and o of section 7.3: the sender's local-part and domain. Section 4.3: a sender
// without a local-part is "postmaster".
std::string_view local_part(std::string_view sender) {
  auto at = sender.rfind('@');
  if (at == std::string_view::npos || at == 0) return "postmaster";
  return sender.substr(0, at);
}

std::string_view sender_domain(std::string_view sender) {
  auto at = sender.rfind('@');
  return at == std::string_view::npos ? sender : sender.substr(at + 1);
}

// Section 7.3: "i" is the dotted quad, or for IPv6 the 32 nibbles separated by dots.
std::string ip_macro(const SpfAddress& address) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  if (!address.v6) {
    for (std::size_t i = 0; i < 4; ++i)
      out += (i ? "." : "") + std::to_string(address.bytes[i]);
    return out;
  }
  for (auto byte : address.bytes) {
    if (!out.empty()) out += '.';
    out += hex[byte >> 4];
    out += '.';
    out += hex[byte & 0xf];
  }
  return out;
}

std::string letter_value(char letter, const SpfMacroValues& v) {
  switch (letter) {
    case 's':
      return v.sender;
    case 'l':
      return std::string(local_part(v.sender));
    case 'o':
      return std::string(sender_domain(v.sender));
    case 'd':
      return v.domain;
    case 'i':
      return v.ip ? ip_macro(*v.ip) : std::string();
    case 'p':
      return v.validated;
    case 'v':
      if (!v.ip) return {};
      return v.ip->v6 ? "ip6" : "in-addr";
    case 'h':
      return v.helo;
    case 'c':
      return v.ip ? spf_address_text(*v.ip) : std::string();
    case 'r':
      return v.receiver;
    case 't':
      return std::to_string(v.timestamp);
    default:
      return {};
  }
}

// Section 7.3: split on the delimiters (default "."), reverse on "r", keep the rightmost
// `keep` parts (0: all), join with ".".
std::string transform(std::string_view value, std::size_t keep, bool reverse,
                      std::string_view delimiters) {
  if (delimiters.empty()) delimiters = ".";
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    auto cut = value.find_first_of(delimiters, start);
    parts.push_back(value.substr(start, cut == std::string_view::npos ? cut : cut - start));
    if (cut == std::string_view::npos) break;
    start = cut + 1;
  }
  if (reverse) std::reverse(parts.begin(), parts.end());
  std::size_t first = keep != 0 && keep < parts.size() ? parts.size() - keep : 0;
  std::string out;
  for (std::size_t i = first; i < parts.size(); ++i) {
    if (i > first) out += '.';
    out += parts[i];
  }
  return out;
}

// Section 7.3: upper-case macro letters are URL-escaped (RFC 3986): all but "unreserved".
std::string url_escape(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    }
  }
  return out;
}

}  // namespace

std::string spf_macro_letters(std::string_view macro_string) {
  std::string letters;
  for (std::size_t i = 0; i + 2 < macro_string.size(); ++i) {
    if (macro_string[i] != '%') continue;
    if (macro_string[i + 1] != '{') {
      ++i;  // %% %_ %-: the next character is not the start of a macro
      continue;
    }
    char letter = lower(macro_string[i + 2]);
    if (letters.find(letter) == std::string::npos) letters += letter;
    i += 2;
  }
  return letters;
}

std::string expand_spf_macros(std::string_view macro_string, const SpfMacroValues& values) {
  std::string out;
  auto append = [&](std::string_view piece) {
    out += piece;
    if (out.size() > expansion_limit) out.erase(0, out.size() - expansion_keep);
  };
  for (std::size_t i = 0; i < macro_string.size(); ++i) {
    char c = macro_string[i];
    if (c != '%' || i + 1 == macro_string.size()) {
      append(std::string_view(&macro_string[i], 1));
      continue;
    }
    char next = macro_string[++i];
    if (next == '%') {
      append("%");
    } else if (next == '_') {
      append(" ");
    } else if (next == '-') {
      append("%20");
    } else if (next == '{') {
      auto close = macro_string.find('}', i);
      if (close == std::string_view::npos || close == i + 1) break;  // not a valid macro-string
      auto body = macro_string.substr(i + 1, close - i - 1);
      char letter = body[0];
      std::size_t k = 1;
      std::size_t keep = 0;
      for (; k < body.size() && body[k] >= '0' && body[k] <= '9'; ++k)
        keep = std::min<std::size_t>(keep * 10 + static_cast<std::size_t>(body[k] - '0'), 100000);
      bool reverse = k < body.size() && lower(body[k]) == 'r';
      if (reverse) ++k;
      auto value = transform(letter_value(lower(letter), values), keep, reverse, body.substr(k));
      append(std::isupper(static_cast<unsigned char>(letter)) != 0 ? url_escape(value) : value);
      i = close;
    } else {
      append(macro_string.substr(i - 1, 2));
    }
  }
  return out;
}

std::optional<std::string> spf_target_name(std::string_view expanded) {
  if (!expanded.empty() && expanded.back() == '.') expanded.remove_suffix(1);
  // Section 7.3: over 253 octets, drop labels from the left until it fits.
  while (expanded.size() > 253) {
    auto dot = expanded.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    expanded.remove_prefix(dot + 1);
  }
  if (expanded.empty()) return std::nullopt;
  std::string name;
  name.reserve(expanded.size());
  std::size_t label = 0;
  for (char c : expanded) {
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_') {
      if (++label > 63) return std::nullopt;
    } else {
      return std::nullopt;
    }
    name += lower(c);
  }
  if (label == 0) return std::nullopt;
  return name;
}

bool is_spf_domain(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.size() > 253 || domain.find('.') == std::string_view::npos) return false;
  return spf_target_name(domain).has_value();
}

}  // namespace mailprobe::protocol
