#pragma once
// The RDATA of the record types the domain checks read, without I/O: what net::DnsResolver
// returns (wire format, names uncompressed) turned into values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailprobe::protocol {

// A domain name in wire format (RFC 1035 section 3.1) from `rdata` at `offset`, advancing
// `offset` past it: lower case, without the trailing dot; "" for the root. nullopt when the
// labels run past the data, a label is over 63 octets, a compression pointer appears (not
// allowed here), or a label holds a byte that is no letter, digit, '-' or '_'.
std::optional<std::string> wire_name(std::string_view rdata, std::size_t& offset);

// MX (RFC 1035 section 3.3.9): preference and exchange; an exchange of "" is the root:
// with preference 0 a null MX (RFC 7505 section 3).
struct MxRecord {
  std::uint16_t preference = 0;
  std::string exchange;
};
std::optional<MxRecord> parse_mx_rdata(std::string_view rdata);

// A and AAAA (RFC 1035 section 3.4.1, RFC 3596 section 2.2): the address in text.
std::optional<std::string> parse_a_rdata(std::string_view rdata);
std::optional<std::string> parse_aaaa_rdata(std::string_view rdata);

// TXT (RFC 1035 section 3.3.14): its character-strings joined without separator, as SPF,
// DKIM, DMARC, MTA-STS and TLS-RPT read them (RFC 7208 section 3.3).
std::optional<std::string> parse_txt_rdata(std::string_view rdata);

// CNAME (RFC 1035 section 3.3.1): the target.
std::optional<std::string> parse_cname_rdata(std::string_view rdata);

}  // namespace mailprobe::protocol
