#include "protocol/dnsbl.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "net/dns.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::protocol {

namespace {

constexpr std::size_t max_name_octets = 253;  // RFC 1035 section 2.3.4, as text
constexpr std::size_t max_meaning_bytes = 200;
constexpr std::size_t shown_codes = 8;

core::Failure config_error(std::string message) {
  return core::Failure{"dnsbl", core::FailureKind::config, std::move(message)};
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  std::string copy(text);
  std::array<unsigned char, 4> bytes{};
  if (inet_pton(AF_INET, copy.c_str(), bytes.data()) != 1) return std::nullopt;
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

std::string ipv4_text(std::uint32_t value) {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xff) + "." +
         std::to_string((value >> 8) & 0xff) + "." + std::to_string(value & 0xff);
}

bool in_loopback_net(std::uint32_t value) {
  return (value >> 24) == 127;  // 127.0.0.0/8
}

// Spamhaus: "a new range containing return codes (127.255.255.0/24) has been added to return
// possible errors related to the DNSBL queries themselves", never a listing.
bool in_error_net(std::uint32_t value) {
  return (value >> 8) == 0x7fffff;  // 127.255.255.0/24
}

std::string known_error_meaning(std::uint32_t value) {
  switch (value & 0xff) {
    case 252:
      return "typing error in the list's zone name";
    case 254:
      return "query refused: it came through a public or open resolver";
    case 255:
      return "query refused: excessive number of queries";
    default:
      return "an error code (127.255.255.0/24), not a listing";
  }
}

// "127.0.0.4", "127.0.0.4-127.0.0.7" or "127.0.0.4-7".
core::Outcome<DnsblCode> parse_code_range(std::string_view text) {
  auto dash = text.find('-');
  auto first = parse_ipv4(text.substr(0, dash));
  if (!first) return config_error("'" + std::string(text) + "' is not an IPv4 address or range");
  auto last = first;
  if (dash != std::string_view::npos) {
    auto end = text.substr(dash + 1);
    last = parse_ipv4(end);
    if (!last && !end.empty() && end.size() <= 3 &&
        std::all_of(end.begin(), end.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      auto octet = static_cast<std::uint32_t>(std::stoul(std::string(end)));
      if (octet <= 255) last = (*first & 0xffffff00U) | octet;
    }
    if (!last) return config_error("'" + std::string(text) + "' is not an IPv4 address or range");
  }
  if (*last < *first) {
    return config_error("range '" + std::string(text) + "' ends before it starts");
  }
  // RFC 5782 section 2.1: the codes are A records in 127.0.0.0/8, so that no code is ever
  // taken for a real address.
  if (!in_loopback_net(*first) || !in_loopback_net(*last)) {
    return config_error("code '" + std::string(text) +
                        "' is outside 127.0.0.0/8, where blocklist answers are");
  }
  return DnsblCode{*first, *last, {}, false};
}

// CODE=MEANING, with "error:" already taken off.
core::Outcome<DnsblCode> parse_code(std::string_view word, bool error) {
  auto equals = word.find('=');
  auto code = parse_code_range(word.substr(0, equals));
  if (!code) return code;
  auto meaning = word.substr(equals + 1);
  if (meaning.size() >= 2 && meaning.front() == '"' && meaning.back() == '"') {
    meaning = meaning.substr(1, meaning.size() - 2);
  } else if (meaning.find('"') != std::string_view::npos) {
    return config_error("'" + std::string(word) + "': quotes go around the whole meaning");
  }
  if (meaning.empty()) return config_error("'" + std::string(word) + "' has no meaning");
  if (meaning.size() > max_meaning_bytes) {
    return config_error("the meaning of '" + std::string(word.substr(0, equals)) +
                        "' is longer than " + std::to_string(max_meaning_bytes) + " bytes");
  }
  if (std::any_of(meaning.begin(), meaning.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return config_error("the meaning of '" + std::string(word.substr(0, equals)) +
                        "' holds a control character");
  }
  code->meaning = std::string(meaning);
  code->error = error;
  return code;
}

// The words of a line: whitespace separates them except inside double quotes; '#' outside
// quotes starts a comment.
core::Outcome<std::vector<std::string_view>> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i]))
      ++i;
    if (i == line.size() || line[i] == '#') break;
    std::size_t start = i;
    bool quoted_part = false;
    while (i < line.size() && (quoted_part || (!is_space(line[i]) && line[i] != '#'))) {
      if (line[i] == '"') quoted_part = !quoted_part;
      ++i;
    }
    if (quoted_part) {
      return config_error("unterminated quote in " + quoted(line.substr(start), 60));
    }
    words.push_back(line.substr(start, i - start));
    if (i < line.size() && line[i] == '#') break;
  }
  return words;
}

bool overlaps(const DnsblCode& a, const DnsblCode& b) {
  return a.first <= b.last && b.first <= a.last;
}

std::string code_text(const DnsblCode& code) {
  return code.first == code.last ? ipv4_text(code.first)
                                 : ipv4_text(code.first) + "-" + ipv4_text(code.last);
}

std::optional<std::string> with_zone(std::string name, std::string_view zone) {
  name += '.';
  name += zone;
  if (name.size() > max_name_octets) return std::nullopt;
  return name;
}

void add_unique(std::vector<std::string>& meanings, const std::string& meaning) {
  if (!meaning.empty() && std::find(meanings.begin(), meanings.end(), meaning) == meanings.end()) {
    meanings.push_back(meaning);
  }
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts)
    out += (out.empty() ? "" : ", ") + part;
  return out;
}

}  // namespace

core::Outcome<std::optional<DnsblList>> parse_dnsbl_line(std::string_view line) {
  auto words = split_words(line);
  if (!words) return words.failure();
  if (words->empty()) return std::optional<DnsblList>{};
  const auto zone_word = words->front();
  if (zone_word.find_first_of("=\"") != std::string_view::npos) {
    return config_error("a list starts with its zone, not " + quoted(zone_word, 60));
  }
  auto zone = net::domain_name_to_ascii(zone_word);
  if (!zone) return config_error("zone " + zone.failure().message);
  if (zone->find('.') == std::string::npos) {
    return config_error("zone '" + *zone + "' is a top-level domain, not a list's zone");
  }
  DnsblList list;
  list.zone = *zone;
  bool kind_given = false;
  for (std::size_t i = 1; i < words->size(); ++i) {
    auto word = (*words)[i];
    if (word == "ip" || word == "domain") {
      auto kind = word == "ip" ? DnsblKind::ip : DnsblKind::domain;
      if (kind_given && kind != list.kind) return config_error("both ip and domain given");
      list.kind = kind;
      kind_given = true;
    } else if (word == "no-test-entry") {
      list.test_entry = false;
    } else if (word.find('=') != std::string_view::npos) {
      bool error = word.starts_with("error:");
      auto code = parse_code(error ? word.substr(6) : word, error);
      if (!code) return code.failure();
      for (const auto& other : list.codes) {
        if (overlaps(other, *code)) {
          return config_error("code " + code_text(*code) + " overlaps " + code_text(other));
        }
      }
      if (list.codes.size() == max_dnsbl_codes) {
        return config_error("more than " + std::to_string(max_dnsbl_codes) + " codes");
      }
      list.codes.push_back(std::move(*code));
    } else {
      return config_error(quoted(word, 60) +
                          " is neither ip, domain, no-test-entry nor CODE=MEANING" +
                          (i > 1 && (*words)[i - 1].find('=') != std::string_view::npos
                               ? " (a MEANING with spaces goes in double quotes)"
                               : ""));
    }
  }
  // Room for the longest name asked: 32 nibbles of an IPv6 address (RFC 5782 section 2.4).
  if (list.kind == DnsblKind::ip && list.zone.size() > max_name_octets - 64) {
    return config_error("zone '" + list.zone + "' is longer than " +
                        std::to_string(max_name_octets - 64) +
                        " characters: no room for an IPv6 address before it");
  }
  return std::optional<DnsblList>{std::move(list)};
}

core::Outcome<std::vector<DnsblList>> parse_dnsbl_lists(std::string_view text) {
  if (text.size() > max_dnsbl_lists_file_bytes) {
    return config_error("over " + std::to_string(max_dnsbl_lists_file_bytes / 1024) +
                        " KiB: not a lists file");
  }
  std::vector<DnsblList> lists;
  std::vector<std::size_t> lines;  // where each list was
  std::size_t number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++number;
    auto line = text.substr(start, end - start);
    start = end + 1;
    if (line.find('\0') != std::string_view::npos) {
      return config_error("line " + std::to_string(number) + ": a NUL byte: not a text file");
    }
    auto parsed = parse_dnsbl_line(line);
    if (!parsed) {
      return config_error("line " + std::to_string(number) + ": " + parsed.failure().message);
    }
    if (!*parsed) continue;
    for (std::size_t i = 0; i < lists.size(); ++i) {
      if (lists[i].zone == (*parsed)->zone) {
        return config_error("line " + std::to_string(number) + ": " + lists[i].zone +
                            " is already on line " + std::to_string(lines[i]));
      }
    }
    if (lists.size() == max_dnsbl_lists) {
      return config_error("line " + std::to_string(number) + ": more than " +
                          std::to_string(max_dnsbl_lists) + " lists");
    }
    lists.push_back(std::move(**parsed));
    lines.push_back(number);
  }
  if (lists.empty()) return config_error("no list in it (one ZONE per line)");
  return lists;
}

std::optional<std::string> dnsbl_address_query(std::string_view address, std::string_view zone) {
  if (address.empty() || address.size() > 45) return std::nullopt;
  std::string copy(address);
  if (address.find(':') == std::string_view::npos) {
    std::array<unsigned char, 4> bytes{};
    if (inet_pton(AF_INET, copy.c_str(), bytes.data()) != 1) return std::nullopt;
    // RFC 5782 section 2.1: "reversing the order of the octets".
    return with_zone(std::to_string(bytes[3]) + "." + std::to_string(bytes[2]) + "." +
                         std::to_string(bytes[1]) + "." + std::to_string(bytes[0]),
                     zone);
  }
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET6, copy.c_str(), bytes.data()) != 1) return std::nullopt;
  // RFC 5782 section 2.4: "a 32-component hex nibble-reversed IPv6 address", as IP6.ARPA.
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string name;
  name.reserve(63);
  for (auto byte = bytes.rbegin(); byte != bytes.rend(); ++byte) {
    if (!name.empty()) name += '.';
    name += hex[*byte & 0x0f];
    name += '.';
    name += hex[*byte >> 4];
  }
  return with_zone(std::move(name), zone);
}

std::optional<std::string> dnsbl_domain_query(std::string_view domain, std::string_view zone) {
  std::string name(domain);
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) return std::nullopt;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return with_zone(std::move(name), zone);
}

DnsblTestEntries dnsbl_test_entries(DnsblKind kind) {
  // RFC 5782 section 5: IPv4 lists MUST list 127.0.0.2 and MUST NOT list 127.0.0.1; domain
  // lists MUST list the reserved name TEST and MUST NOT list INVALID (RFC 2606).
  if (kind == DnsblKind::domain) return {"test", "invalid"};
  return {"127.0.0.2", "127.0.0.1"};
}

DnsblAnswer classify_dnsbl_answer(const DnsblList& list, const std::vector<std::string>& records) {
  DnsblAnswer answer;
  answer.code_count = records.size();
  bool invalid = false;
  bool refused = false;
  bool listed = false;
  bool other = false;
  std::vector<std::string> listed_meanings;
  std::vector<std::string> error_meanings;
  bool names_listings = std::any_of(list.codes.begin(), list.codes.end(),
                                    [](const DnsblCode& code) { return !code.error; });
  for (const auto& rdata : records) {
    std::string text;
    if (rdata.size() != 4) {
      invalid = true;
      text = "an A record of " + std::to_string(rdata.size()) + " bytes";
    } else {
      std::uint32_t value = 0;
      for (char byte : rdata)
        value = (value << 8) | static_cast<unsigned char>(byte);
      text = ipv4_text(value);
      const DnsblCode* code = nullptr;
      for (const auto& candidate : list.codes) {
        if (value >= candidate.first && value <= candidate.last) code = &candidate;
      }
      if (!in_loopback_net(value)) {
        invalid = true;
      } else if (code != nullptr && code->error) {
        refused = true;
        add_unique(error_meanings, code->meaning);
      } else if (code != nullptr) {
        listed = true;
        add_unique(listed_meanings, code->meaning);
      } else if (in_error_net(value)) {
        refused = true;
        add_unique(error_meanings, known_error_meaning(value));
      } else if (names_listings) {
        other = true;
      } else {
        listed = true;
      }
    }
    if (answer.codes.size() < shown_codes) answer.codes.push_back(std::move(text));
  }
  if (invalid) {
    answer.verdict = DnsblVerdict::invalid;
  } else if (refused) {
    answer.verdict = DnsblVerdict::refused;
    answer.meaning = joined(error_meanings);
  } else if (listed) {
    answer.verdict = DnsblVerdict::listed;
    answer.meaning = joined(listed_meanings);
  } else if (other) {
    answer.verdict = DnsblVerdict::other_code;
  }
  return answer;
}

std::string dnsbl_codes_text(const DnsblAnswer& answer) {
  std::string text = joined(answer.codes);
  if (answer.code_count > answer.codes.size()) {
    text += " and " + std::to_string(answer.code_count - answer.codes.size()) + " more";
  }
  return text;
}

}  // namespace mailprobe::protocol
