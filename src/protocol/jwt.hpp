#pragma once
// JSON Web Tokens that mailprobe signs itself to get OAuth 2.0 access tokens: the client
// assertion of RFC 7523 section 3 ("private_key_jwt", a certificate credential of a
// Microsoft Entra ID application) and the assertion of a Google service account (RFC 7523
// section 2.1, the JWT bearer grant). Both are RS256 (RFC 7518 section 3.3): RSASSA-PKCS1-v1_5
// with SHA-256, made with OpenSSL. Key and certificate problems are failures of phase
// "token", kind config, naming the file.

#include <openssl/evp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/outcome.hpp"

namespace mailprobe::protocol {

// base64url without padding (RFC 4648 section 5, as RFC 7515 section 2 uses it).
std::string base64url_encode(std::string_view data);
// nullopt when `text` is not unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

// An RSA private key for RS256, with what the JWT header says about it.
struct SigningKey {
  std::shared_ptr<EVP_PKEY> key;
  std::string key_id;  // "kid" (Google: the service account key's private_key_id)
  // The certificate's SHA-1 and SHA-256 thumbprints, base64url ("x5t", "x5t#S256", RFC
  // 7515 sections 4.1.7 and 4.1.8): how Entra ID finds the certificate of the assertion.
  std::string x5t;
  std::string x5t_s256;
};

// The key from a PEM file (PKCS#8 or PKCS#1; not encrypted) and, when `certificate_file` is
// given, the thumbprints of its certificate, which must belong to the key. `key_file` may
// be the certificate file itself when it holds the key too.
core::Outcome<SigningKey> load_signing_key(const std::string& key_file,
                                           const std::string& certificate_file = {});
// The key from PEM text; `origin` names where it came from in messages.
core::Outcome<SigningKey> signing_key_from_pem(std::string_view pem, const std::string& origin);

// header.claims.signature (RFC 7515 section 7.1) for `claims_json`, a serialized JSON
// object; the header is "alg":"RS256","typ":"JWT" and the key's kid, x5t and x5t#S256.
core::Outcome<std::string> sign_jwt(const SigningKey& key, std::string_view claims_json);

// 22 characters of base64url from 16 random bytes: a "jti" never used before.
std::string random_jwt_id();

using SystemTime = std::chrono::system_clock::time_point;

// RFC 7523 section 3 client assertion: iss = sub = client_id, aud = the token URL, a fresh
// jti, iat = nbf = now, exp = now + 5 minutes (what Entra ID's samples use; at most 1 h
// is accepted by the emulator and by Entra ID alike).
core::Outcome<std::string> client_assertion(const SigningKey& key, std::string_view client_id,
                                            std::string_view token_url, SystemTime now,
                                            std::string_view jwt_id);

// Google's service account assertion: iss = the service account's e-mail, sub = the mailbox
// it acts for (domain-wide delegation; empty: the service account itself), scope
// (space-separated), aud = the token URL, iat = now, exp = now + 1 hour (Google's maximum).
core::Outcome<std::string> service_account_assertion(const SigningKey& key,
                                                     std::string_view client_email,
                                                     std::string_view subject,
                                                     std::string_view scope,
                                                     std::string_view token_url, SystemTime now);

// A Google service account's JSON key file ("type": "service_account").
struct ServiceAccountKey {
  std::string client_email;
  std::string private_key;     // PEM
  std::string private_key_id;  // the JWT's kid
  std::string token_uri;       // Google's token endpoint unless the file names another
};

// Parses the key file's text; `file` names it in messages ("FILE: no \"client_email\"").
core::Outcome<ServiceAccountKey> parse_service_account(std::string_view json,
                                                       const std::string& file);
// Reads (at most 64 KiB) and parses the key file.
core::Outcome<ServiceAccountKey> read_service_account(const std::string& file);

// Reads a small local file whole (keys, certificates, JSON keys): at most `limit` bytes,
// else a failure naming the file.
core::Outcome<std::string> read_small_file(const std::string& file, std::size_t limit,
                                           std::string_view what);

}  // namespace mailprobe::protocol
