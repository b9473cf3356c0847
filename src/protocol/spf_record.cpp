#include "protocol/spf_record.hpp"

#include <algorithm>
#include <cctype>

#include "protocol/txt_fields.hpp"

namespace mailprobe::protocol {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

// --- Syntax (section 12) ---

core::Failure term_error(std::string_view term, std::string why) {
  return core::Failure{"spf", core::FailureKind::protocol,
                       "term " + quoted(term, 60) + ": " + std::move(why)};
}

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool is_toplabel(std::string_view label) {
  if (label.empty() ||
      !std::ranges::all_of(label, [](char c) { return is_alnum(c) || c == '-'; })) {
    return false;
  }
  if (std::ranges::any_of(label, is_alpha) && label.find('-') == std::string_view::npos) {
    return true;
  }
  return label.find('-') != std::string_view::npos && is_alnum(label.front()) &&
         is_alnum(label.back());
}

// Checks a macro-string (section 7.1); in a domain-spec also its domain-end and that it
// uses no letter reserved for explanations (section 7.2: c, r, t).
std::optional<std::string> macro_string_problem(std::string_view text, bool domain_spec) {
  std::size_t after_last_macro = 0;
  bool ends_in_expand = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    ends_in_expand = false;
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return "has " + quoted(text.substr(i, 1)) + ", not a visible ASCII character";
    }
    if (c != '%') continue;
    if (i + 1 == text.size()) return std::string("ends in a lone '%' (a percent sign is %%)");
    char next = text[i + 1];
    if (next == '%' || next == '_' || next == '-') {
      after_last_macro = ++i + 1;
      continue;
    }
    if (next != '{') {
      return "has '%' before " + quoted(text.substr(i + 1, 1)) +
             ": a macro is %{letter...}, %%, %_ or %- (RFC 7208 section 7.1)";
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) return "has a macro without its closing '}'";
    auto body = text.substr(i + 2, close - i - 2);
    if (body.empty()) return std::string("has an empty macro %{}");
    char letter = lower(body[0]);
    if (std::string_view("slodiphcrtv").find(letter) == std::string_view::npos) {
      return "has the unknown macro letter " + quoted(body.substr(0, 1)) +
             " (RFC 7208 section 7.2)";
    }
    if (domain_spec && (letter == 'c' || letter == 'r' || letter == 't')) {
      return "uses %{" + std::string(1, letter) +
             "}, which only explanation text may use (RFC 7208 section 7.2)";
    }
    std::size_t k = 1;
    std::size_t digits = 0;
    bool nonzero = false;
    for (; k < body.size() && is_digit(body[k]); ++k, ++digits)
      nonzero = nonzero || body[k] != '0';
    if (digits > 0 && !nonzero) {
      return "has the transformer 0 in " + quoted(text.substr(i, close - i + 1)) +
             ": it keeps at least 1 part (RFC 7208 section 7.3)";
    }
    if (k < body.size() && lower(body[k]) == 'r') ++k;
    for (; k < body.size(); ++k) {
      if (std::string_view(".-+,/_=").find(body[k]) == std::string_view::npos) {
        return "has " + quoted(text.substr(i, close - i + 1)) +
               ", which is not letter, digits, 'r', delimiters (RFC 7208 section 7.1)";
      }
    }
    i = close;
    after_last_macro = close + 1;
    ends_in_expand = true;
  }
  if (!domain_spec || ends_in_expand) return std::nullopt;
  // domain-end = ( "." toplabel [ "." ] ) / macro-expand
  auto tail = text.substr(after_last_macro);
  if (!tail.empty() && tail.back() == '.') tail.remove_suffix(1);
  auto dot = tail.rfind('.');
  if (dot == std::string_view::npos || !is_toplabel(tail.substr(dot + 1))) {
    return std::string(
        "does not end in a top-level label such as '.com' or in a macro (RFC 7208 section 7.1)");
  }
  return std::nullopt;
}

std::optional<std::string> domain_spec_problem(std::string_view spec) {
  if (spec.empty()) return std::string("has no domain after the ':' or '='");
  return macro_string_problem(spec, true);
}

// ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT), at most 32; ip6: 0*2DIGIT, at most 128.
std::optional<int> cidr_value(std::string_view digits, int max) {
  auto max_digits = max == 32 ? 2U : 3U;
  if (digits.empty() || digits.size() > max_digits || !std::ranges::all_of(digits, is_digit) ||
      (digits.size() > 1 && digits[0] == '0')) {
    return std::nullopt;
  }
  int value = 0;
  for (char c : digits)
    value = value * 10 + (c - '0');
  if (value > max) return std::nullopt;
  return value;
}

std::string cidr_problem(std::string_view digits, int max) {
  return "prefix length " + quoted(digits) + " is not a number from 0 to " + std::to_string(max);
}

// a and mx: [ ":" domain-spec ] [ dual-cidr-length ], cut from the right: a domain-end never
// ends in "/digits".
std::optional<std::string> parse_a_or_mx(std::string_view rest, SpfTerm& term) {
  auto take_cidr = [&](std::string_view& s, int max, int& out) -> std::optional<std::string> {
    auto slash = s.rfind('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto digits = s.substr(slash + 1);
    if (digits.empty() || !std::ranges::all_of(digits, is_digit)) return std::nullopt;
    auto value = cidr_value(digits, max);
    if (!value) return cidr_problem(digits, max);
    out = *value;
    s = s.substr(0, slash);
    return std::nullopt;
  };
  auto slash = rest.rfind('/');
  if (slash != std::string_view::npos && slash > 0 && rest[slash - 1] == '/') {
    auto v6 = rest.substr(0, slash - 1);
    auto digits = rest.substr(slash + 1);
    auto value = cidr_value(digits, 128);
    if (!value) return cidr_problem(digits, 128);
    term.cidr6 = *value;
    rest = v6;
  }
  if (auto problem = take_cidr(rest, 32, term.cidr4)) return problem;
  if (rest.empty()) return std::nullopt;
  if (rest.front() != ':') return std::string("expected ':' and a domain or a '/' prefix length");
  term.domain_spec = std::string(rest.substr(1));
  return domain_spec_problem(term.domain_spec);
}

std::optional<std::string> parse_ip(std::string_view rest, SpfTerm& term, bool v6) {
  if (rest.empty() || rest.front() != ':') return std::string("expected ':' and an address");
  rest.remove_prefix(1);
  auto slash = rest.find('/');
  auto network = rest.substr(0, slash);
  auto parsed = parse_spf_network(network, v6);
  if (!parsed) {
    return quoted(network) + (v6 ? " is not an IPv6 address" : " is not an IPv4 address");
  }
  term.network = *parsed;
  if (slash == std::string_view::npos) return std::nullopt;
  auto digits = rest.substr(slash + 1);
  int max = v6 ? 128 : 32;
  auto value = cidr_value(digits, max);
  if (!value) return cidr_problem(digits, max);
  (v6 ? term.cidr6 : term.cidr4) = *value;
  return std::nullopt;
}

core::Outcome<SpfTerm> parse_term(std::string_view text) {
  SpfTerm term;
  term.text = std::string(text);
  std::size_t i = 0;
  bool qualified = false;
  switch (text[0]) {
    case '+':
      term.qualifier = SpfQualifier::pass, qualified = true;
      break;
    case '-':
      term.qualifier = SpfQualifier::fail, qualified = true;
      break;
    case '~':
      term.qualifier = SpfQualifier::softfail, qualified = true;
      break;
    case '?':
      term.qualifier = SpfQualifier::neutral, qualified = true;
      break;
    default:
      break;
  }
  if (qualified) i = 1;
  auto j = i;
  while (j < text.size() &&
         (is_alnum(text[j]) || text[j] == '-' || text[j] == '_' || text[j] == '.'))
    ++j;
  auto name = lowered(text.substr(i, j - i));
  auto rest = text.substr(j);
  if (!rest.empty() && rest.front() == '=') {
    // modifier = redirect / explanation / unknown-modifier; name = ALPHA *(...)
    if (qualified) return term_error(text, "a modifier takes no qualifier");
    if (name.empty() || !is_alpha(name[0])) {
      return term_error(text, "a modifier's name starts with a letter");
    }
    term.domain_spec = std::string(rest.substr(1));
    std::optional<std::string> problem;
    if (name == "redirect" || name == "exp") {
      term.kind = name == "redirect" ? SpfTermKind::redirect : SpfTermKind::exp;
      problem = domain_spec_problem(term.domain_spec);
    } else {
      // Section 6: unknown modifiers are ignored, but must still be macro-strings.
      term.kind = SpfTermKind::unknown_modifier;
      problem = macro_string_problem(term.domain_spec, false);
    }
    if (problem) return term_error(text, std::move(*problem));
    return term;
  }
  std::optional<std::string> problem;
  auto domain_required = [&]() -> std::optional<std::string> {
    if (rest.empty() || rest.front() != ':') return "expected ':' and a domain";
    term.domain_spec = std::string(rest.substr(1));
    return domain_spec_problem(term.domain_spec);
  };
  if (name == "all") {
    term.kind = SpfTermKind::all;
    if (!rest.empty()) problem = "'all' takes no domain or prefix length";
  } else if (name == "include" || name == "exists") {
    term.kind = name == "include" ? SpfTermKind::include : SpfTermKind::exists;
    problem = domain_required();
  } else if (name == "a" || name == "mx") {
    term.kind = name == "a" ? SpfTermKind::a : SpfTermKind::mx;
    problem = parse_a_or_mx(rest, term);
  } else if (name == "ptr") {
    term.kind = SpfTermKind::ptr;
    if (!rest.empty()) {
      if (rest.front() != ':') {
        problem = "expected ':' and a domain";
      } else {
        term.domain_spec = std::string(rest.substr(1));
        problem = domain_spec_problem(term.domain_spec);
      }
    }
  } else if (name == "ip4" || name == "ip6") {
    term.kind = name == "ip4" ? SpfTermKind::ip4 : SpfTermKind::ip6;
    problem = parse_ip(rest, term, name == "ip6");
  } else {
    return term_error(text,
                      "unknown mechanism (RFC 7208 section 5 has all, include, a, mx, ptr, "
                      "ip4, ip6 and exists)");
  }
  if (problem) return term_error(text, std::move(*problem));
  return term;
}

}  // namespace

// --- Records ---

char spf_qualifier_char(SpfQualifier qualifier) {
  switch (qualifier) {
    case SpfQualifier::pass:
      return '+';
    case SpfQualifier::fail:
      return '-';
    case SpfQualifier::softfail:
      return '~';
    case SpfQualifier::neutral:
      return '?';
  }
  return '+';
}

bool SpfTerm::counts_lookup() const {
  return kind == SpfTermKind::include || kind == SpfTermKind::a || kind == SpfTermKind::mx ||
         kind == SpfTermKind::ptr || kind == SpfTermKind::exists || kind == SpfTermKind::redirect;
}

const SpfTerm* SpfRecord::redirect() const {
  for (const auto& term : terms) {
    if (term.kind == SpfTermKind::redirect) return &term;
  }
  return nullptr;
}

bool SpfRecord::has_all() const {
  return std::ranges::any_of(terms, [](const SpfTerm& t) { return t.kind == SpfTermKind::all; });
}

bool is_spf_record(std::string_view txt) {
  constexpr std::string_view version = "v=spf1";
  if (txt.size() < version.size() || lowered(txt.substr(0, version.size())) != version) {
    return false;
  }
  return txt.size() == version.size() || txt[version.size()] == ' ';
}

core::Outcome<SpfRecord> parse_spf_record(std::string_view txt) {
  if (!is_spf_record(txt)) {
    return core::Failure{"spf", core::FailureKind::protocol,
                         quoted(txt) + " does not start with 'v=spf1 '"};
  }
  SpfRecord record;
  bool redirect = false;
  bool exp = false;
  // record = version terms *SP; terms = *( 1*SP ( directive / modifier ) )
  std::size_t start = 6;
  while (start < txt.size()) {
    if (txt[start] == ' ') {
      ++start;
      continue;
    }
    auto end = std::min(txt.find(' ', start), txt.size());
    auto parsed = parse_term(txt.substr(start, end - start));
    if (!parsed) return parsed.failure();
    // Section 6: redirect and exp appear at most once each.
    auto& seen = parsed->kind == SpfTermKind::redirect ? redirect : exp;
    if (parsed->kind == SpfTermKind::redirect || parsed->kind == SpfTermKind::exp) {
      if (seen) {
        return core::Failure{
            "spf", core::FailureKind::protocol,
            std::string(parsed->kind == SpfTermKind::redirect ? "redirect" : "exp") +
                "= appears twice, it may appear once (RFC 7208 section 6)"};
      }
      seen = true;
    }
    record.terms.push_back(std::move(*parsed));
    start = end;
  }
  return record;
}

}  // namespace mailprobe::protocol
