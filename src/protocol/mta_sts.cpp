#include "protocol/mta_sts.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "core/ascii.hpp"
#include "core/format.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::protocol {

namespace {

using core::is_wsp;

core::Failure failure(std::string message) {
  return core::Failure{"mta-sts", core::FailureKind::protocol, std::move(message)};
}

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string_view strip_trailing_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// sts-id = 1*32(ALPHA / DIGIT)
bool is_sts_id(std::string_view id) {
  return !id.empty() && id.size() <= 32 && std::ranges::all_of(id, is_alnum);
}

// Length of the UTF-8 sequence starting at text[i] (RFC 3629 section 4: no overlong forms,
// no surrogates, nothing above U+10FFFF), 0 when it is not one.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = at(i);
  std::size_t size = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    size = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    size = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    size = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (i + size > text.size()) return 0;
  if (at(i + 1) < low || at(i + 1) > high) return 0;
  for (std::size_t k = 2; k < size; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xbf) return 0;
  }
  return size;
}

// What makes a line of the policy not text: section 3.2 allows printable ASCII, UTF-8 and
// whitespace. Catches an HTML error page's binary cousins: a gzip body, NUL bytes.
std::optional<std::string> text_problem(std::string_view line) {
  for (std::size_t i = 0; i < line.size();) {
    auto byte = static_cast<unsigned char>(line[i]);
    if (byte == '\r') return "carriage return without line feed";
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f) {
      return "control character " + quoted(line.substr(i, 1)) + ", this is not a text policy";
    }
    if (byte < 0x80) {
      ++i;
      continue;
    }
    auto size = utf8_sequence(line, i);
    if (size == 0) return "not UTF-8 text: " + quoted(line.substr(i, 4));
    i += size;
  }
  return std::nullopt;
}

// sts-policy-ext-value: vchars (printable ASCII or UTF-8) with single spaces between.
bool is_policy_ext_value(std::string_view value) {
  return !value.empty() && std::ranges::none_of(value, [](char c) { return c == '\t'; });
}

// sts-policy-mx-value = ["*."] Domain, Domain as in RFC 5321 section 4.1.2: dot-separated
// labels of letters, digits and inner hyphens. Section 3.2 wants A-labels, not U-labels.
std::optional<std::string> mx_problem(std::string_view value) {
  auto bad = [&](std::string why) { return "mx " + quoted(value) + " " + why; };
  if (value.empty()) return std::string("mx line without a host name");
  if (std::ranges::any_of(value, [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    return bad("is not ASCII: write internationalized names as A-labels (xn--...)");
  }
  auto name = value;
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty()) return bad("has no domain after '*.'");
  if (name.back() == '.') return bad("ends in a dot");
  if (name.size() > 253) return bad("is longer than 253 characters");
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    auto label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty()) return bad("has an empty label");
    if (label.size() > 63) return bad("has a label longer than 63 characters");
    for (char c : label) {
      if (c == '*') return bad("has a '*' that is not the whole leftmost label");
      if (!is_alnum(c) && c != '-') {
        return bad("has " + quoted(std::string_view(&c, 1)) +
                   ", host names have letters, digits and '-'");
      }
    }
    if (label.front() == '-' || label.back() == '-') return bad("has a label with an outer '-'");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

// sts-policy-max-age-value = 1*10(DIGIT), at most 31557600 by section 3.2's prose.
std::variant<std::int64_t, std::string> parse_max_age(std::string_view value) {
  if (value.empty() || !std::ranges::all_of(value, [](char c) { return c >= '0' && c <= '9'; })) {
    return "max_age " + quoted(value) + " is not a number of seconds";
  }
  if (value.size() > 10) return "max_age " + quoted(value) + " has more than 10 digits";
  std::int64_t seconds = 0;
  for (char c : value)
    seconds = seconds * 10 + (c - '0');
  if (seconds > max_sts_max_age) {
    return "max_age " + std::to_string(seconds) + " is over " + std::to_string(max_sts_max_age) +
           " seconds (one year)";
  }
  return seconds;
}

std::optional<StsMode> parse_mode(std::string_view value) {
  if (value == "enforce") return StsMode::enforce;
  if (value == "testing") return StsMode::testing;
  if (value == "none") return StsMode::none;
  return std::nullopt;
}

}  // namespace

StsTxt parse_sts_txt(std::string_view txt) {
  // Section 3.1: records that do not begin with "v=STSv1" are discarded. "v=STSv10" or
  // "v=STSv1x" do not begin with that version either.
  constexpr std::string_view version = "v=STSv1";
  if (!txt.starts_with(version)) return NotStsRecord{};
  auto rest = txt.substr(version.size());
  if (rest.empty()) return failure("no id= field (the record is only 'v=STSv1')");
  if (rest.front() != ';' && !is_wsp(rest.front())) return NotStsRecord{};
  auto split = split_txt_fields(rest);
  if (auto* error = std::get_if<std::string>(&split)) return failure(std::move(*error));
  StsTxtRecord record;
  bool have_id = false;
  for (const auto& field : std::get<std::vector<TxtField>>(split)) {
    if (field.name == "id") {
      if (!is_sts_id(field.value)) {
        return failure("id " + quoted(field.value) + " is not 1 to 32 letters and digits");
      }
      // Section 3.2 (for both the record and the policy): of a field that is not
      // repeatable, the first occurrence counts.
      if (have_id) {
        record.warnings.push_back("second id " + quoted(field.value) +
                                  " ignored, the first counts");
        continue;
      }
      record.id = std::string(field.value);
      have_id = true;
    } else if (!is_ext_value(field.value)) {
      // Unknown fields are ignored (section 3.2), but they must still be well-formed.
      return failure("field " + quoted(field.name) + " has the value " + quoted(field.value) +
                     ", not printable ASCII without spaces, '=' or ';'");
    }
  }
  if (!have_id) return failure("no id= field");
  return record;
}

std::string_view sts_mode_name(StsMode mode) {
  switch (mode) {
    case StsMode::enforce:
      return "enforce";
    case StsMode::testing:
      return "testing";
    case StsMode::none:
      return "none";
  }
  return "none";
}

core::Outcome<StsPolicy> parse_sts_policy(std::string_view body) {
  if (body.size() > max_sts_policy_bytes) {
    return failure("policy larger than " + core::format_size(max_sts_policy_bytes));
  }
  if (body.empty()) return failure("policy is empty");
  if (body.starts_with("\xef\xbb\xbf")) {
    return failure(
        "line 1: starts with a UTF-8 byte order mark, the policy must start with a field");
  }
  StsPolicy policy;
  bool have_version = false;
  bool have_mode = false;
  bool have_max_age = false;
  std::size_t number = 0;
  std::size_t pos = 0;
  while (pos < body.size()) {
    ++number;
    auto lf = body.find('\n', pos);
    auto line = body.substr(pos, lf == std::string_view::npos ? lf : lf - pos);
    pos = lf == std::string_view::npos ? body.size() : lf + 1;
    // sts-policy-term = LF / CRLF
    if (lf != std::string_view::npos && line.ends_with('\r')) line.remove_suffix(1);
    auto at = "line " + std::to_string(number) + ": ";
    if (auto problem = text_problem(line)) return failure(at + *problem);
    if (line.empty()) {
      // The grammar has no empty lines. Common senders skip them, strict ones (mox, for
      // one) reject the whole policy.
      policy.warnings.push_back(at + "empty line, RFC 8461 section 3.2 allows none");
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return failure(at + "expected 'name: value', got " + quoted(line));
    }
    auto name = line.substr(0, colon);
    if (!is_ext_name(name)) {
      return failure(at + "field name " + quoted(name) +
                     " is not 1 to 32 letters, digits, '_', '-' or '.' starting with a "
                     "letter or digit");
    }
    // sts-policy-field-delim = ":" *WSP, and a field may be followed by *WSP.
    auto value = line.substr(colon + 1);
    while (!value.empty() && is_wsp(value.front()))
      value.remove_prefix(1);
    while (!value.empty() && is_wsp(value.back()))
      value.remove_suffix(1);
    auto repeated = [&](bool& seen) {
      if (seen)
        policy.warnings.push_back(at + "second " + std::string(name) +
                                  " line ignored, the first counts");
      bool first = !seen;
      seen = true;
      return first;
    };
    if (name == "version") {
      if (value != "STSv1") return failure(at + "version " + quoted(value) + " is not STSv1");
      repeated(have_version);
    } else if (name == "mode") {
      auto mode = parse_mode(value);
      if (!mode) {
        return failure(at + "mode " + quoted(value) + " is not enforce, testing or none");
      }
      if (repeated(have_mode)) policy.mode = *mode;
    } else if (name == "max_age") {
      auto seconds = parse_max_age(value);
      if (auto* error = std::get_if<std::string>(&seconds)) return failure(at + *error);
      if (repeated(have_max_age)) policy.max_age = std::chrono::seconds(std::get<0>(seconds));
    } else if (name == "mx") {
      if (auto problem = mx_problem(value)) return failure(at + *problem);
      policy.mx.emplace_back(value);
    } else {
      if (!is_policy_ext_value(value)) {
        return failure(at + "field " + quoted(name) + " has no value (or a tab in it)");
      }
      // Unknown fields are ignored (section 3.2), but field names are case-sensitive: a
      // "Mode" line is an unknown field, and the policy then lacks its mode.
      for (std::string_view known : {"version", "mode", "max_age", "mx"}) {
        if (core::ascii_iequals(name, known)) {
          policy.warnings.push_back(at + "field " + quoted(name) + " is not " + quoted(known) +
                                    " (names are case-sensitive), ignored");
        }
      }
    }
  }
  if (!have_version) return failure("no version line (version: STSv1)");
  if (!have_mode) return failure("no mode line (mode: enforce, testing or none)");
  if (!have_max_age) return failure("no max_age line");
  if (policy.mode != StsMode::none && policy.mx.empty()) {
    return failure("no mx line, mode " + std::string(sts_mode_name(policy.mode)) +
                   " needs at least one");
  }
  return policy;
}

bool mx_matches_pattern(std::string_view mx_host, std::string_view pattern) {
  mx_host = strip_trailing_dot(mx_host);
  pattern = strip_trailing_dot(pattern);
  if (mx_host.empty() || pattern.empty()) return false;
  if (!pattern.starts_with("*.")) return core::ascii_iequals(mx_host, pattern);
  // Section 4.1: the wildcard stands for exactly one label, the leftmost.
  auto suffix = pattern.substr(1);  // ".example.com"
  if (mx_host.size() <= suffix.size()) return false;
  auto label = mx_host.substr(0, mx_host.size() - suffix.size());
  return label.find('.') == std::string_view::npos &&
         core::ascii_iequals(mx_host.substr(label.size()), suffix);
}

bool policy_allows_mx(const StsPolicy& policy, std::string_view mx_host) {
  return std::ranges::any_of(
      policy.mx, [&](const std::string& pattern) { return mx_matches_pattern(mx_host, pattern); });
}

}  // namespace mailprobe::protocol
