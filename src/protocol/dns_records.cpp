#include "protocol/dns_records.hpp"

#include <arpa/inet.h>

#include <cctype>

namespace mailprobe::protocol {

std::optional<std::string> wire_name(std::string_view rdata, std::size_t& offset) {
  std::string name;
  for (;;) {
    if (offset >= rdata.size()) return std::nullopt;
    auto length = static_cast<unsigned char>(rdata[offset++]);
    if (length == 0) break;
    if (length > 63) return std::nullopt;  // 0xC0: a pointer; 0x40/0x80: reserved
    if (rdata.size() - offset < length) return std::nullopt;
    if (!name.empty()) name += '.';
    for (std::size_t i = 0; i < length; ++i) {
      auto c = static_cast<unsigned char>(rdata[offset + i]);
      if (std::isalnum(c) == 0 && c != '-' && c != '_') return std::nullopt;
      name += static_cast<char>(std::tolower(c));
    }
    offset += length;
    if (name.size() > 253) return std::nullopt;
  }
  return name;
}

std::optional<MxRecord> parse_mx_rdata(std::string_view rdata) {
  if (rdata.size() < 3) return std::nullopt;
  MxRecord mx;
  mx.preference = static_cast<std::uint16_t>((static_cast<unsigned char>(rdata[0]) << 8) |
                                             static_cast<unsigned char>(rdata[1]));
  std::size_t offset = 2;
  auto exchange = wire_name(rdata, offset);
  if (!exchange || offset != rdata.size()) return std::nullopt;
  mx.exchange = std::move(*exchange);
  return mx;
}

namespace {
std::optional<std::string> address_text(std::string_view rdata, int family, std::size_t size) {
  if (rdata.size() != size) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(family, rdata.data(), text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text);
}
}  // namespace

std::optional<std::string> parse_a_rdata(std::string_view rdata) {
  return address_text(rdata, AF_INET, 4);
}

std::optional<std::string> parse_aaaa_rdata(std::string_view rdata) {
  return address_text(rdata, AF_INET6, 16);
}

std::optional<std::string> parse_txt_rdata(std::string_view rdata) {
  if (rdata.empty()) return std::nullopt;  // at least one character-string
  std::string text;
  std::size_t offset = 0;
  while (offset < rdata.size()) {
    auto length = static_cast<unsigned char>(rdata[offset++]);
    if (rdata.size() - offset < length) return std::nullopt;
    text.append(rdata.substr(offset, length));
    offset += length;
  }
  return text;
}

std::optional<std::string> parse_cname_rdata(std::string_view rdata) {
  std::size_t offset = 0;
  auto target = wire_name(rdata, offset);
  if (!target || offset != rdata.size()) return std::nullopt;
  return target;
}

}  // namespace mailprobe::protocol
