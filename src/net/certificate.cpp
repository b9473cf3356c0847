#include "net/certificate.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cmath>
#include <ctime>
#include <memory>

#include "core/format.hpp"

namespace mailprobe::net {

namespace {

using Clock = std::chrono::system_clock;

std::string name_text(const X509_NAME* name) {
  if (name == nullptr) return {};
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio) return {};
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return {};
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

Clock::time_point to_time_point(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return {};
  return Clock::from_time_t(timegm(&tm));
}

std::vector<std::string> alt_names(X509* certificate) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (sans == nullptr) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    if (name->type == GEN_DNS) {
      const auto* text = ASN1_STRING_get0_data(name->d.dNSName);
      names.push_back("DNS:" +
                      std::string(reinterpret_cast<const char*>(text),
                                  static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName))));
    } else if (name->type == GEN_IPADD) {
      const auto* bytes = ASN1_STRING_get0_data(name->d.iPAddress);
      int length = ASN1_STRING_length(name->d.iPAddress);
      char buffer[64] = {};
      if (length == 4) {
        std::snprintf(buffer, sizeof buffer, "%d.%d.%d.%d", bytes[0], bytes[1], bytes[2], bytes[3]);
        names.push_back(std::string("IP:") + buffer);
      } else if (length == 16) {
        std::string text = "IP:";
        for (int b = 0; b < 16; b += 2) {
          std::snprintf(buffer, sizeof buffer, "%s%x", b == 0 ? "" : ":",
                        (bytes[b] << 8) | bytes[b + 1]);
          text += buffer;
        }
        names.push_back(text);
      }
    }
  }
  GENERAL_NAMES_free(sans);
  return names;
}

std::string days_text(double days) {
  return core::format_number(std::floor(std::fabs(days)), 0) + " days";
}

}  // namespace

double CertificateFacts::days_left(Clock::time_point now) const {
  return std::chrono::duration<double>(not_after - now).count() / 86400.0;
}

const CertificateFacts* TlsFacts::earliest_expiry() const {
  const CertificateFacts* earliest = nullptr;
  for (const auto& facts : chain) {
    if (earliest == nullptr || facts.not_after < earliest->not_after) earliest = &facts;
  }
  return earliest;
}

CertificateFacts certificate_facts(X509* certificate) {
  CertificateFacts facts;
  facts.subject = name_text(X509_get_subject_name(certificate));
  facts.issuer = name_text(X509_get_issuer_name(certificate));
  facts.not_before = to_time_point(X509_get0_notBefore(certificate));
  facts.not_after = to_time_point(X509_get0_notAfter(certificate));
  facts.names = alt_names(certificate);
  return facts;
}

TlsFacts session_facts(SSL* ssl, bool verified) {
  TlsFacts facts;
  facts.version = SSL_get_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    facts.cipher = SSL_CIPHER_get_name(cipher);
  }
  facts.verified = verified;
  STACK_OF(X509)* chain = verified ? SSL_get0_verified_chain(ssl) : SSL_get_peer_cert_chain(ssl);
  if (chain != nullptr) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      facts.chain.push_back(certificate_facts(sk_X509_value(chain, i)));
    }
  }
  return facts;
}

std::string format_utc(Clock::time_point when) {
  std::time_t t = Clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", &tm);
  return buffer;
}

std::string describe_verify_failure(const VerifyFailure& failure, const std::string& host) {
  auto now = Clock::now();
  std::string who = "certificate";
  if (failure.certificate) {
    who = (failure.depth == 0 ? "certificate of " : "CA certificate of ") +
          failure.certificate->subject;
  }
  const auto* cert = failure.certificate ? &*failure.certificate : nullptr;
  switch (failure.error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      if (cert != nullptr) {
        return who + " expired " + format_utc(cert->not_after) + " (" +
               days_text(cert->days_left(now)) + " ago)";
      }
      return who + " has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      if (cert != nullptr) return who + " is not valid before " + format_utc(cert->not_before);
      return who + " is not yet valid";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: {
      std::string names;
      if (cert != nullptr) {
        for (const auto& name : cert->names)
          names += (names.empty() ? "" : ", ") + name;
      }
      return who + " is not valid for '" + host + "'" +
             (names.empty() ? std::string() : " (it names " + names + ")");
    }
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return who + " is not trusted: " + X509_verify_cert_error_string(failure.error) +
             (cert != nullptr ? " (issuer " + cert->issuer + ")" : std::string());
    default:
      return who + " failed verification: " + X509_verify_cert_error_string(failure.error);
  }
}

std::string sha256_fingerprint(X509* certificate) {
  if (certificate == nullptr) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1) return "";
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    text += hex[digest[i] >> 4];
    text += hex[digest[i] & 0x0f];
  }
  return text;
}

std::optional<std::string> normalize_fingerprint(std::string_view text) {
  std::string_view rest = text;
  for (std::string_view prefix : {"SHA256:", "sha256:", "SHA256=", "sha256="}) {
    if (rest.substr(0, prefix.size()) == prefix) {
      rest.remove_prefix(prefix.size());
      break;
    }
  }
  std::string hex;
  for (char c : rest) {
    if (c == ':' || c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 64) return std::nullopt;
  return hex;
}

std::string format_fingerprint(std::string_view hex) {
  std::string text = "SHA256:";
  for (std::size_t i = 0; i < hex.size(); ++i) {
    if (i > 0 && i % 2 == 0) text += ':';
    text += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
  }
  return text;
}

}  // namespace mailprobe::net
