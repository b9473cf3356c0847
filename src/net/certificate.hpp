#pragma once
// Facts about a TLS session and its certificates, for expiry checks and for the output.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailprobe::net {

struct CertificateFacts {
  std::string subject;  // RFC 2253: "CN=localhost,O=Example"
  std::string issuer;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  std::vector<std::string> names;  // subjectAltName entries: "DNS:localhost", "IP:127.0.0.1"

  // Days until not_after (negative once expired), fractional.
  double days_left(std::chrono::system_clock::time_point now) const;
};

struct TlsFacts {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
  bool verified = false;
  // Leaf first. The verified chain up to the trust anchor when verified, otherwise the
  // chain as the server sent it.
  std::vector<CertificateFacts> chain;
  // Bytes the server sent before the TLS handshake that were discarded (STARTTLS
  // response injection, RFC 3207 section 4.2; RFC 2595 section 3.1).
  std::size_t discarded_bytes = 0;
  // With verification off: what verification would have said (empty when nothing).
  std::string verify_problem;

  const CertificateFacts* leaf() const { return chain.empty() ? nullptr : &chain.front(); }
  // The certificate of the chain that expires first.
  const CertificateFacts* earliest_expiry() const;
};

CertificateFacts certificate_facts(X509* certificate);

// A certificate of one's own (a reference counted by OpenSSL).
struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// Reads version, cipher and chain of an established session.
TlsFacts session_facts(SSL* ssl, bool verified);

// "2020-02-01 00:00 UTC".
std::string format_utc(std::chrono::system_clock::time_point when);

// What went wrong during chain verification, captured by the verify callback.
struct VerifyFailure {
  int error = 0;  // X509_V_ERR_*
  int depth = 0;
  std::optional<CertificateFacts> certificate;
};

// The SHA-256 fingerprint of a certificate, 64 lowercase hex digits ("" for none).
std::string sha256_fingerprint(X509* certificate);
// "SHA256:AB:CD:...", "ab cd ...", "abcd..." -> 64 lowercase hex digits; nullopt if it is
// not a SHA-256 fingerprint.
std::optional<std::string> normalize_fingerprint(std::string_view text);
// 64 hex digits -> "SHA256:AB:CD:..." as `openssl x509 -fingerprint -sha256` prints it.
std::string format_fingerprint(std::string_view hex);

// A one-line explanation of a verification failure for `host`, such as
// "certificate of CN=localhost expired 2020-02-01 00:00 UTC (1024 days ago)".
std::string describe_verify_failure(const VerifyFailure& failure, const std::string& host);

}  // namespace mailprobe::net
