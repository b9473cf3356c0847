#include "protocol/txt_fields.hpp"

#include <cctype>
#include <cstdio>

#include "core/ascii.hpp"

namespace mailprobe::protocol {

namespace {

using core::is_wsp;

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string_view trim_wsp(std::string_view text) {
  while (!text.empty() && is_wsp(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_wsp(text.back()))
    text.remove_suffix(1);
  return text;
}

}  // namespace

bool is_ext_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || !is_alnum(name.front())) return false;
  for (char c : name) {
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

bool is_ext_value(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    if (c < 0x21 || c > 0x7e || c == '=' || c == ';') return false;
  }
  return true;
}

std::variant<std::vector<TxtField>, std::string> split_txt_fields(std::string_view rest) {
  std::vector<TxtField> fields;
  // The text before the first ';' is the WSP of the first field-delim: nothing else may
  // stand between the version and its ';' ("v=STSv1 id=x" lacks the ';').
  auto semicolon = rest.find(';');
  auto before = trim_wsp(rest.substr(0, semicolon));
  if (!before.empty() || semicolon == std::string_view::npos) {
    return "expected ';' after the version, found " + quoted(trim_wsp(rest));
  }
  rest.remove_prefix(semicolon + 1);
  while (true) {
    semicolon = rest.find(';');
    bool last = semicolon == std::string_view::npos;
    auto field = trim_wsp(rest.substr(0, semicolon));
    if (field.empty()) {
      // Only the optional field-delim at the very end may be followed by nothing.
      if (last) break;
      return std::string("empty field (two ';' in a row)");
    }
    // Whitespace belongs to a field-delim: after the last field it needs a ';' before it.
    if (last && is_wsp(rest.back())) {
      return std::string("space or tab at the end of the record (allowed only after a ';')");
    }
    auto equals = field.find('=');
    if (equals == std::string_view::npos) {
      return "field " + quoted(field) + " is not name=value";
    }
    auto name = field.substr(0, equals);
    if (!is_ext_name(name)) {
      return "field name " + quoted(name) +
             " is not 1 to 32 letters, digits, '_', '-' or '.' starting with a letter or digit";
    }
    fields.push_back(TxtField{name, field.substr(equals + 1)});
    if (last) break;
    rest.remove_prefix(semicolon + 1);
  }
  return fields;
}

std::optional<std::string> uri_scheme(std::string_view uri) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto scheme = uri.substr(0, colon);
  if (std::isalpha(static_cast<unsigned char>(scheme.front())) == 0) return std::nullopt;
  for (char c : scheme) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '+' && c != '-' && c != '.') {
      return std::nullopt;
    }
  }
  return core::ascii_lower(scheme);
}

std::string quoted(std::string_view text, std::size_t max_bytes) {
  std::string out = "'";
  std::size_t shown = 0;
  for (char c : text) {
    if (shown++ == max_bytes) {
      out += "...";
      break;
    }
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\') {
      out += c;
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned>(byte));
      out += escaped;
    }
  }
  out += "'";
  return out;
}

}  // namespace mailprobe::protocol
