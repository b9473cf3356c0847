#pragma once
// TLSA records (DANE): the RDATA of RFC 6698 section 2.1, its mnemonics (RFC 7218), which
// records an SMTP client can use (RFC 7671, RFC 7672), and whether a record matches a
// certificate. No I/O: the DNS lookup and the TLS handshake happen elsewhere.

#include <openssl/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mailprobe::protocol {

struct TlsaRecord {
  // Certificate usage (RFC 6698 section 2.1.1, names from RFC 7218).
  static constexpr std::uint8_t pkix_ta = 0;
  static constexpr std::uint8_t pkix_ee = 1;
  static constexpr std::uint8_t dane_ta = 2;
  static constexpr std::uint8_t dane_ee = 3;
  // Selector (section 2.1.2).
  static constexpr std::uint8_t cert = 0;
  static constexpr std::uint8_t spki = 1;
  // Matching type (section 2.1.3).
  static constexpr std::uint8_t full = 0;
  static constexpr std::uint8_t sha2_256 = 1;
  static constexpr std::uint8_t sha2_512 = 2;

  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching = 0;
  std::vector<unsigned char> data;  // certificate association data

  bool operator==(const TlsaRecord&) const = default;
};

// Wire-format RDATA: usage, selector and matching type octets, then the association data.
// nullopt when shorter than 4 octets (RFC 6698 section 2.1 has no empty data).
std::optional<TlsaRecord> parse_tlsa_rdata(std::span<const unsigned char> rdata);

// RFC 7218 mnemonics: "DANE-EE", "SPKI", "SHA2-256"; "unknown" for unassigned values.
std::string tlsa_usage_name(std::uint8_t usage);
std::string tlsa_selector_name(std::uint8_t selector);
std::string tlsa_matching_name(std::uint8_t matching);

// One line for messages: "DANE-EE SPKI SHA2-256 3 1 1 8cb0fc6c...". The data is shown in
// full up to 64 octets (a SHA2-512 digest); longer data (a Full(0) certificate) as its first
// 32 octets and its size.
std::string describe(const TlsaRecord& record);

// Why an SMTP client cannot use `record`, or nullopt when it can:
// - usages PKIX-TA(0) and PKIX-EE(1): SMTP has no agreed set of trusted CAs, so RFC 7672
//   section 3.1.3 leaves them undefined and lets clients treat them as unusable (a domain
//   that publishes only those has no DANE a sender can rely on);
// - usage, selector or matching type not assigned, or private (255): a client cannot know
//   them, they are unusable (RFC 6698 section 4.1);
// - a digest of the wrong length for its matching type, which can never match.
std::optional<std::string> unusable_reason(const TlsaRecord& record);

// Whether `certificate` matches the record's selector, matching type and data. Only the
// association is compared: the usage (whether the certificate must be the leaf, a trust
// anchor, and whether a chain must validate) is the caller's business. False for unknown
// selectors or matching types and for a null certificate.
bool tlsa_matches(const TlsaRecord& record, const X509* certificate);

// What `certificate` would have to publish under `selector` and `matching`, lowercase hex,
// for messages: "the certificate's SPKI SHA2-256 is 8cb0...". Empty for unknown selectors or
// matching types and for a null certificate.
std::string tlsa_digest_hex(const X509* certificate, std::uint8_t selector, std::uint8_t matching);

}  // namespace mailprobe::protocol
