// Addresses in SPF (RFC 7208 section 5.6): parsing as the grammar of section 12 writes
// them, prefix matching, and the names PTR records live at.

#include <arpa/inet.h>

#include <algorithm>

#include "protocol/spf_record.hpp"

namespace mailprobe::protocol {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// --- Addresses ---

// ip4-network = qnum "." qnum "." qnum "." qnum (section 12): decimal 0-255 without leading
// zeros, which inet_pton's dialects disagree on.
std::optional<SpfAddress> parse_ipv4(std::string_view text) {
  SpfAddress address;
  std::size_t part = 0;
  std::size_t start = 0;
  for (;;) {
    auto dot = text.find('.', start);
    auto qnum = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part == 4 || qnum.empty() || qnum.size() > 3 || !std::ranges::all_of(qnum, is_digit) ||
        (qnum.size() > 1 && qnum[0] == '0')) {
      return std::nullopt;
    }
    int value = 0;
    for (char c : qnum)
      value = value * 10 + (c - '0');
    if (value > 255) return std::nullopt;
    address.bytes[part++] = static_cast<std::uint8_t>(value);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (part != 4) return std::nullopt;
  return address;
}

// ip6-network: RFC 4291 section 2.2, as inet_pton reads it.
std::optional<SpfAddress> parse_ipv6(std::string_view text) {
  if (text.empty() || text.size() > 45 || text.find('%') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string copy(text);
  SpfAddress address;
  address.v6 = true;
  if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) return std::nullopt;
  return address;
}

}  // namespace

std::optional<SpfAddress> parse_spf_network(std::string_view text, bool v6) {
  return v6 ? parse_ipv6(text) : parse_ipv4(text);
}

// --- Addresses ---

std::optional<SpfAddress> parse_spf_address(std::string_view text) {
  if (text.find(':') == std::string_view::npos) return parse_ipv4(text);
  auto address = parse_ipv6(text);
  if (!address) return std::nullopt;
  const auto& b = address->bytes;
  bool mapped = std::all_of(b.begin(), b.begin() + 10, [](std::uint8_t x) { return x == 0; }) &&
                b[10] == 0xff && b[11] == 0xff;
  if (!mapped) return address;
  SpfAddress v4;
  std::copy(b.begin() + 12, b.end(), v4.bytes.begin());
  return v4;
}

std::string spf_address_text(const SpfAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), text, sizeof text);
  return text;
}

bool spf_address_in(const SpfAddress& address, const SpfAddress& network, int prefix) {
  if (address.v6 != network.v6) return false;
  int bits = std::clamp(prefix, 0, address.v6 ? 128 : 32);
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
    if ((address.bytes[i] & mask) != (network.bytes[i] & mask)) return false;
  }
  return true;
}

std::string spf_reverse_name(const SpfAddress& address) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string name;
  if (!address.v6) {
    for (int i = 3; i >= 0; --i)
      name += std::to_string(address.bytes[static_cast<std::size_t>(i)]) + ".";
    return name + "in-addr.arpa";
  }
  for (int i = 15; i >= 0; --i) {
    auto byte = address.bytes[static_cast<std::size_t>(i)];
    name += hex[byte & 0xf];
    name += '.';
    name += hex[byte >> 4];
    name += '.';
  }
  return name + "ip6.arpa";
}

}  // namespace mailprobe::protocol
