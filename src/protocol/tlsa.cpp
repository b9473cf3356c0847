#include "protocol/tlsa.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>

namespace mailprobe::protocol {

namespace {

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0x0f];
  }
  return out;
}

// The DER the selector picks (RFC 6698 section 2.1.2): the whole certificate, or its
// SubjectPublicKeyInfo as it appears in the certificate.
std::optional<std::vector<unsigned char>> selected_der(const X509* certificate,
                                                       std::uint8_t selector) {
  if (certificate == nullptr) return std::nullopt;
  unsigned char* der = nullptr;
  int size = -1;
  if (selector == TlsaRecord::cert) {
    size = i2d_X509(certificate, &der);
  } else if (selector == TlsaRecord::spki) {
    const X509_PUBKEY* key = X509_get_X509_PUBKEY(certificate);
    if (key == nullptr) return std::nullopt;
    size = i2d_X509_PUBKEY(key, &der);
  } else {
    return std::nullopt;
  }
  if (size <= 0 || der == nullptr) {
    OPENSSL_free(der);
    return std::nullopt;
  }
  std::vector<unsigned char> out(der, der + size);
  OPENSSL_free(der);
  return out;
}

// The association data a certificate yields under selector and matching type (section
// 2.1.3): the selected DER itself, or its SHA-256 or SHA-512 digest.
std::optional<std::vector<unsigned char>> association(const X509* certificate,
                                                      std::uint8_t selector,
                                                      std::uint8_t matching) {
  const EVP_MD* md = nullptr;
  if (matching == TlsaRecord::sha2_256) {
    md = EVP_sha256();
  } else if (matching == TlsaRecord::sha2_512) {
    md = EVP_sha512();
  } else if (matching != TlsaRecord::full) {
    return std::nullopt;
  }
  auto der = selected_der(certificate, selector);
  if (!der || md == nullptr) return der;
  std::vector<unsigned char> digest(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  if (EVP_Digest(der->data(), der->size(), digest.data(), &size, md, nullptr) != 1) {
    return std::nullopt;
  }
  digest.resize(size);
  return digest;
}

}  // namespace

std::optional<TlsaRecord> parse_tlsa_rdata(std::span<const unsigned char> rdata) {
  if (rdata.size() < 4) return std::nullopt;
  TlsaRecord record;
  record.usage = rdata[0];
  record.selector = rdata[1];
  record.matching = rdata[2];
  record.data.assign(rdata.begin() + 3, rdata.end());
  return record;
}

std::string tlsa_usage_name(std::uint8_t usage) {
  switch (usage) {
    case TlsaRecord::pkix_ta:
      return "PKIX-TA";
    case TlsaRecord::pkix_ee:
      return "PKIX-EE";
    case TlsaRecord::dane_ta:
      return "DANE-TA";
    case TlsaRecord::dane_ee:
      return "DANE-EE";
    case 255:
      return "PrivCert";
    default:
      return "unknown";
  }
}

std::string tlsa_selector_name(std::uint8_t selector) {
  switch (selector) {
    case TlsaRecord::cert:
      return "Cert";
    case TlsaRecord::spki:
      return "SPKI";
    case 255:
      return "PrivSel";
    default:
      return "unknown";
  }
}

std::string tlsa_matching_name(std::uint8_t matching) {
  switch (matching) {
    case TlsaRecord::full:
      return "Full";
    case TlsaRecord::sha2_256:
      return "SHA2-256";
    case TlsaRecord::sha2_512:
      return "SHA2-512";
    case 255:
      return "PrivMatch";
    default:
      return "unknown";
  }
}

std::string describe(const TlsaRecord& record) {
  std::string out = tlsa_usage_name(record.usage) + " " + tlsa_selector_name(record.selector) +
                    " " + tlsa_matching_name(record.matching) + " " + std::to_string(record.usage) +
                    " " + std::to_string(record.selector) + " " + std::to_string(record.matching) +
                    " ";
  std::span<const unsigned char> data(record.data);
  if (data.size() <= 64) return out + to_hex(data);
  return out + to_hex(data.first(32)) + "... (" + std::to_string(data.size()) + " bytes)";
}

std::optional<std::string> unusable_reason(const TlsaRecord& record) {
  if (record.usage == TlsaRecord::pkix_ta || record.usage == TlsaRecord::pkix_ee) {
    return "usage " + tlsa_usage_name(record.usage) + "(" + std::to_string(record.usage) +
           ") is unusable for SMTP (RFC 7672 section 3.1.3), publish DANE-EE(3) or DANE-TA(2)";
  }
  if (record.usage != TlsaRecord::dane_ta && record.usage != TlsaRecord::dane_ee) {
    return "unknown usage " + std::to_string(record.usage);
  }
  if (record.selector != TlsaRecord::cert && record.selector != TlsaRecord::spki) {
    return "unknown selector " + std::to_string(record.selector);
  }
  std::size_t wanted = 0;
  if (record.matching == TlsaRecord::sha2_256) {
    wanted = 32;
  } else if (record.matching == TlsaRecord::sha2_512) {
    wanted = 64;
  } else if (record.matching != TlsaRecord::full) {
    return "unknown matching type " + std::to_string(record.matching);
  }
  if (wanted != 0 && record.data.size() != wanted) {
    return "digest of " + std::to_string(record.data.size()) + " bytes, " +
           tlsa_matching_name(record.matching) + " needs " + std::to_string(wanted);
  }
  return std::nullopt;
}

bool tlsa_matches(const TlsaRecord& record, const X509* certificate) {
  auto expected = association(certificate, record.selector, record.matching);
  return expected && std::ranges::equal(*expected, record.data);
}

std::string tlsa_digest_hex(const X509* certificate, std::uint8_t selector, std::uint8_t matching) {
  auto data = association(certificate, selector, matching);
  return data ? to_hex(*data) : std::string();
}

}  // namespace mailprobe::protocol
