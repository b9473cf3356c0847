#pragma once
// ASCII text as protocols and DNS define it, independent of the C locale: case folding of
// names and tags, and the WSP of RFC 5234 (space and tab) that record grammars skip.

#include <algorithm>
#include <string>
#include <string_view>

namespace mailprobe::core {

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](char c) { return ascii_lower(c); });
  return out;
}

inline std::string ascii_upper(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  });
  return out;
}

// Equal but for the case of ASCII letters.
inline bool ascii_iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// WSP = SP / HTAB (RFC 5234 appendix B.1).
inline bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

inline std::string_view skip_wsp(std::string_view text) {
  while (!text.empty() && is_wsp(text.front()))
    text.remove_prefix(1);
  return text;
}

}  // namespace mailprobe::core
