#include "protocol/dmarc_record.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>

#include "core/ascii.hpp"
#include "protocol/tag_list.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::protocol {

namespace {

using core::is_wsp;
using core::skip_wsp;

core::Failure failure(std::string message) {
  return core::Failure{"dmarc", core::FailureKind::protocol, std::move(message)};
}

// Bounded work: receivers need to send to two (RFC 7489 section 6.2); a list far longer is
// read only this far.
constexpr std::size_t max_report_uris = 16;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// What follows `v *WSP "=" *WSP` at the start of `txt` (leading FWS allowed, as in any tag
// list), or nullopt when the record does not start with a v= tag.
std::optional<std::string_view> version_value(std::string_view txt) {
  auto rest = skip_wsp(txt);
  if (rest.empty() || (rest.front() != 'v' && rest.front() != 'V')) return std::nullopt;
  rest = skip_wsp(rest.substr(1));
  if (rest.empty() || rest.front() != '=') return std::nullopt;
  return skip_wsp(rest.substr(1));
}

// dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] (section 6.4). The URI itself
// has its commas and '!' percent-encoded (section 6.2), so the last '!' starts the size.
std::variant<DmarcUri, std::string> parse_uri(std::string_view tag, std::string_view text) {
  auto bad = [&](const std::string& why) {
    return std::string(tag) + " " + quoted(text) + " " + why + ": no reports are sent there";
  };
  DmarcUri uri;
  auto bang = text.rfind('!');
  auto body = text.substr(0, bang);
  if (bang != std::string_view::npos) {
    auto size = text.substr(bang + 1);
    std::uint64_t unit = 1;
    if (!size.empty() && !is_digit(size.back())) {
      switch (std::tolower(static_cast<unsigned char>(size.back()))) {
        case 'k':
          unit = std::uint64_t{1} << 10;
          break;
        case 'm':
          unit = std::uint64_t{1} << 20;
          break;
        case 'g':
          unit = std::uint64_t{1} << 30;
          break;
        case 't':
          unit = std::uint64_t{1} << 40;
          break;
        default:
          unit = 0;
      }
      size.remove_suffix(1);
    }
    if (unit == 0 || size.empty() || size.size() > 12 || !std::ranges::all_of(size, is_digit)) {
      return bad("has a size limit that is not !NUMBER[k|m|g|t]");
    }
    std::uint64_t number = 0;
    for (char c : size)
      number = number * 10 + static_cast<std::uint64_t>(c - '0');
    uri.max_bytes = number * unit;
  }
  auto scheme = uri_scheme(body);
  if (!scheme) {
    return bad(body.find('@') != std::string_view::npos
                   ? "is not a URI (write mailto:" + std::string(body.substr(0, 100)) + ")"
                   : "is not a URI (mailto:address)");
  }
  auto parsed = boost::urls::parse_uri(body);
  if (!parsed) return bad("is not a valid URI");
  if (*scheme == "mailto") {
    // RFC 6068 section 2: the path is the address; its domain is the destination host.
    std::string address(parsed->path());
    auto at = address.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == address.size()) {
      return bad("has no address (mailto:name@domain)");
    }
    uri.host = core::ascii_lower(address.substr(at + 1));
  } else {
    uri.host = core::ascii_lower(std::string(parsed->encoded_host()));
    if (uri.host.empty()) return bad("has no host");
  }
  if (!uri.host.empty() && uri.host.back() == '.') uri.host.pop_back();
  uri.uri = std::string(body);
  uri.scheme = *scheme;
  return uri;
}

// rua= or ruf=: dmarc-uri *(*WSP "," *WSP dmarc-uri); the invalid ones are dropped.
std::vector<DmarcUri> parse_uri_list(std::string_view tag, std::string_view value,
                                     DmarcRecord& record) {
  std::vector<DmarcUri> uris;
  if (value.empty()) {
    record.warnings.push_back(std::string(tag) + "= is empty: no reports are sent");
    return uris;
  }
  auto items = split_tag_value(value, ',');
  if (items.size() > max_report_uris) {
    record.warnings.push_back(std::string(tag) + " lists " + std::to_string(items.size()) +
                              " entries: only the first " + std::to_string(max_report_uris) +
                              " are read here");
    items.resize(max_report_uris);
  }
  for (auto item : items) {
    auto parsed = parse_uri(tag, item);
    if (auto* error = std::get_if<std::string>(&parsed)) {
      record.warnings.push_back(std::move(*error));
      continue;
    }
    auto& uri = std::get<DmarcUri>(parsed);
    if (uri.scheme != "mailto") {
      record.warnings.push_back(std::string(tag) + " " + quoted(uri.uri) +
                                " is not mailto:, the only kind receivers must support "
                                "(RFC 7489 section 6.2)");
    }
    if (uri.max_bytes) {
      record.notes.push_back(std::string(tag) + " " + quoted(uri.uri) +
                             " has a size limit, which DMARCbis (RFC 9989) report senders "
                             "ignore");
    }
    uris.push_back(std::move(uri));
  }
  if (uris.size() > 2) {
    record.warnings.push_back(std::string(tag) + " lists " + std::to_string(uris.size()) +
                              " URIs: receivers need to send only to the first two (RFC 7489 "
                              "section 6.2)");
  }
  return uris;
}

// A number of 1 to `digits` digits, at most `max`.
std::optional<std::uint64_t> number(std::string_view text, std::size_t digits, std::uint64_t max) {
  if (text.empty() || text.size() > digits || !std::ranges::all_of(text, is_digit)) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (char c : text)
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  if (value > max) return std::nullopt;
  return value;
}

// Every item of a colon-separated list (fo=, rf=) is one of `allowed`.
bool all_in(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::ranges::all_of(split_tag_value(value, ':'), [&](std::string_view item) {
    return std::ranges::find(allowed, core::ascii_lower(item)) != allowed.end();
  });
}

// The tags other than v, p and sp (section 6.3; np, t and psd from DMARCbis).
void read_tag(const Tag& tag, DmarcRecord& record) {
  auto name = core::ascii_lower(tag.name);
  auto value = tag.value;
  auto was = [&](const char* what) {
    return name + " " + quoted(value) + " is not " + what + ": receivers use ";
  };
  if (name == "pct") {
    if (auto pct = number(value, 3, 100)) {
      record.pct = static_cast<int>(*pct);
      if (record.pct != 100) {
        record.notes.push_back(
            "pct is historic in DMARCbis (RFC 9989): its receivers apply "
            "the policy to all failing mail; t=y is its test mode");
      }
    } else {
      record.warnings.push_back(was("a whole number from 0 to 100") + "100");
    }
  } else if (name == "adkim" || name == "aspf") {
    auto mode = core::ascii_lower(value);
    if (mode == "r" || mode == "s") {
      (name == "adkim" ? record.adkim_strict : record.aspf_strict) = mode == "s";
    } else {
      record.warnings.push_back(was("r or s") + "r (relaxed)");
    }
  } else if (name == "rua") {
    record.rua = parse_uri_list("rua", value, record);
  } else if (name == "ruf") {
    record.ruf = parse_uri_list("ruf", value, record);
  } else if (name == "fo") {
    if (all_in(value, {"0", "1", "d", "s"})) {
      record.fo.clear();
      for (auto item : split_tag_value(value, ':'))
        record.fo.push_back(core::ascii_lower(item));
    } else {
      record.warnings.push_back(was("a ':'-list of 0, 1, d and s") + "0");
    }
  } else if (name == "rf") {
    if (!all_in(value, {"afrf"})) record.warnings.push_back(was("afrf") + "afrf");
  } else if (name == "ri") {
    if (!number(value, 10, 0xffffffff)) {
      record.warnings.push_back(was("a number of seconds") + "86400 (a day)");
    }
  } else if (name == "np") {
    if (auto np = parse_dmarc_policy(value)) {
      record.np = np;
    } else {
      record.warnings.push_back(was("none, quarantine or reject") + "sp or p");
    }
  } else if (name == "t") {
    auto flag = core::ascii_lower(value);
    if (flag == "y" || flag == "n") {
      record.testing = flag == "y";
    } else {
      record.warnings.push_back(was("y or n") + "n");
    }
  } else if (name == "psd") {
    auto flag = core::ascii_lower(value);
    if (flag == "y" || flag == "n" || flag == "u") {
      record.psd = flag == "y";
    } else {
      record.warnings.push_back(was("y, n or u") + "u");
    }
  } else {
    record.notes.push_back("tag " + quoted(tag.name) +
                           " is not a DMARC tag: receivers ignore it (RFC 7489 section 6.3)");
  }
}

}  // namespace

std::string_view dmarc_policy_name(DmarcPolicy policy) {
  switch (policy) {
    case DmarcPolicy::none:
      return "none";
    case DmarcPolicy::quarantine:
      return "quarantine";
    case DmarcPolicy::reject:
      return "reject";
  }
  return "none";
}

std::optional<DmarcPolicy> parse_dmarc_policy(std::string_view name) {
  auto text = core::ascii_lower(name);
  if (text == "none") return DmarcPolicy::none;
  if (text == "quarantine") return DmarcPolicy::quarantine;
  if (text == "reject") return DmarcPolicy::reject;
  return std::nullopt;
}

DmarcTxt parse_dmarc_record(std::string_view txt) {
  // Section 6.3: v=DMARC1 first, matched precisely; other records are discarded (6.6.3).
  auto version = version_value(txt);
  constexpr std::string_view dmarc1 = "DMARC1";
  bool meant = version && version->starts_with(dmarc1) &&
               (version->size() == dmarc1.size() || is_wsp((*version)[dmarc1.size()]) ||
                (*version)[dmarc1.size()] == ';');
  if (!meant) {
    NotDmarcRecord other;
    auto text = core::ascii_lower(txt);
    if (version && core::ascii_lower(*version).starts_with("dmarc")) {
      other.hint = "its version " + quoted(version->substr(0, version->find(';'))) +
                   " is not DMARC1 exactly (RFC 7489 section 6.3)";
    } else if (text.find("v=dmarc1") != std::string::npos) {
      other.hint = "v=DMARC1 is not its first tag (RFC 7489 section 6.3)";
    }
    return other;
  }
  auto parsed = parse_tag_list(txt, TagNames::ignore_case);
  if (auto* error = std::get_if<std::string>(&parsed)) return failure(std::move(*error));
  const auto& list = std::get<TagList>(parsed);
  if (list.tags.front().value != dmarc1) {
    return failure("v=" + quoted(list.tags.front().value) +
                   " is not DMARC1 followed by ';' (RFC 7489 section 6.4)");
  }
  DmarcRecord record;
  for (std::size_t i = 1; i < list.tags.size(); ++i) {
    auto name = core::ascii_lower(list.tags[i].name);
    if (name != "p" && name != "sp") read_tag(list.tags[i], record);
  }
  // p= and sp= (section 6.6.3 step 6): missing or invalid, a valid rua= still makes
  // receivers act as p=none; without one they apply no DMARC at all.
  std::string problem;
  const auto* p = list.find("p");
  if (p == nullptr) {
    problem = "no p= tag (RFC 7489 section 6.3 requires it; DMARCbis reads it as p=none)";
  } else if (auto policy = parse_dmarc_policy(p->value)) {
    record.p = policy;
    if (core::ascii_lower(list.tags[1].name) != "p") {
      record.warnings.push_back(
          "p= is not right after v=DMARC1 as RFC 7489 section 6.4 requires "
          "(DMARCbis allows any order)");
    }
  } else {
    problem = "p " + quoted(p->value) + " is not none, quarantine or reject";
  }
  if (const auto* sp = list.find("sp")) {
    if (auto policy = parse_dmarc_policy(sp->value)) {
      record.sp = policy;
    } else if (problem.empty()) {
      problem = "sp " + quoted(sp->value) + " is not none, quarantine or reject";
    }
  }
  if (!problem.empty()) {
    if (record.rua.empty()) {
      return failure(problem +
                     ", and no valid rua=: receivers apply no DMARC policy (RFC 7489 "
                     "section 6.6.3)");
    }
    record.p.reset();
    record.sp.reset();
    record.warnings.insert(record.warnings.begin(),
                           problem +
                               ": receivers act as if p=none, for the valid rua= (RFC "
                               "7489 section 6.6.3)");
  }
  return record;
}

bool is_report_authorization(std::string_view txt) {
  // Section 7.1 step 5: the same tag-list format, v=DMARC1 first; other tags do not matter.
  auto parsed = parse_tag_list(txt, TagNames::ignore_case);
  const auto* list = std::get_if<TagList>(&parsed);
  return list != nullptr && (list->tags.front().name == "v" || list->tags.front().name == "V") &&
         list->tags.front().value == "DMARC1";
}

}  // namespace mailprobe::protocol
