#include "protocol/tag_list.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::protocol {

namespace {

using core::is_wsp;

bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_alnumpunc(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

// VALCHAR = %x21-3A / %x3C-7E: printable ASCII but ';'.
bool is_valchar(char c) {
  return c >= 0x21 && c <= 0x7e && c != ';';
}

bool same_name(std::string_view a, std::string_view b, bool ignore_case) {
  return ignore_case ? core::ascii_iequals(a, b) : a == b;
}

// Past the FWS at `i`: WSP, and CRLF when WSP follows it (a folded line).
std::size_t skip_fws(std::string_view text, std::size_t i) {
  while (i < text.size()) {
    if (is_wsp(text[i])) {
      ++i;
    } else if (text.substr(i, 2) == "\r\n" && i + 2 < text.size() && is_wsp(text[i + 2])) {
      i += 3;
    } else {
      break;
    }
  }
  return i;
}

// A CR or LF anywhere but in a CRLF followed by WSP is no FWS: the grammar has no place for
// it (a record pasted from a file with its line ends).
std::string line_break_problem(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && text.substr(i, 2) == "\r\n" && i + 2 < text.size() &&
        is_wsp(text[i + 2])) {
      ++i;
      continue;
    }
    if (text[i] == '\r' || text[i] == '\n') {
      return "line break " + quoted(text.substr(i, 1)) + " that is not folding white space";
    }
  }
  return {};
}

std::string_view trim_fws(std::string_view text) {
  auto start = skip_fws(text, 0);
  text.remove_prefix(start);
  while (!text.empty() && (is_wsp(text.back()) || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

const Tag* TagList::find(std::string_view name) const {
  auto found = std::ranges::find_if(
      tags, [&](const Tag& tag) { return same_name(tag.name, name, ignore_case); });
  return found == tags.end() ? nullptr : &*found;
}

std::variant<TagList, std::string> parse_tag_list(std::string_view text, TagNames names) {
  TagList list;
  list.ignore_case = names == TagNames::ignore_case;
  if (trim_fws(text).empty()) return std::string("the record is empty");
  if (auto problem = line_break_problem(text); !problem.empty()) return problem;
  std::size_t start = 0;
  while (true) {
    auto semicolon = text.find(';', start);
    bool last = semicolon == std::string_view::npos;
    auto spec = text.substr(start, last ? semicolon : semicolon - start);
    auto i = skip_fws(spec, 0);
    if (i == spec.size()) {
      // Only after the final ';' may nothing follow.
      if (last) break;
      return std::string(list.tags.empty() ? "the record starts with ';'"
                                           : "empty tag (two ';' in a row)");
    }
    auto shown = trim_fws(spec);
    if (!is_alpha(spec[i])) {
      return "tag " + quoted(shown) + " does not start with a tag name (a letter)";
    }
    auto name_end = i;
    while (name_end < spec.size() && is_alnumpunc(spec[name_end]))
      ++name_end;
    auto name = spec.substr(i, name_end - i);
    auto equals = skip_fws(spec, name_end);
    if (equals == spec.size()) {
      return "tag " + quoted(shown) + " has no '=' (tags are name=value, separated by ';')";
    }
    if (spec[equals] != '=') {
      return "tag " + quoted(shown) +
             " is not name=value (a tag name has letters, digits and '_' only)";
    }
    auto value = trim_fws(spec.substr(equals + 1));
    for (char c : value) {
      if (!is_valchar(c) && !is_wsp(c) && c != '\r' && c != '\n') {
        return "tag " + quoted(name) + " has " + quoted(std::string_view(&c, 1)) +
               " in its value, where only printable ASCII may stand";
      }
    }
    for (const auto& tag : list.tags) {
      if (same_name(tag.name, name, list.ignore_case)) {
        return "tag " + quoted(name) +
               " appears twice, which makes the whole record invalid (RFC 6376 section 3.2)";
      }
    }
    if (list.tags.size() == max_tags) {
      return "more than " + std::to_string(max_tags) + " tags: this is no key or policy record";
    }
    list.tags.push_back(Tag{name, value});
    if (last) break;
    start = semicolon + 1;
  }
  return list;
}

std::string without_fws(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (!is_wsp(c) && c != '\r' && c != '\n') out += c;
  }
  return out;
}

std::vector<std::string_view> split_tag_value(std::string_view value, char separator) {
  std::vector<std::string_view> items;
  std::size_t start = 0;
  while (true) {
    auto at = value.find(separator, start);
    auto item = value.substr(start, at == std::string_view::npos ? at : at - start);
    items.push_back(trim_fws(item));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return items;
}

}  // namespace mailprobe::protocol
