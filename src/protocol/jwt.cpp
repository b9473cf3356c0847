#include "protocol/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>

#include "protocol/sasl.hpp"

namespace mailprobe::protocol {

namespace json = boost::json;

namespace {

core::Failure config_failure(std::string message) {
  return {"token", core::FailureKind::config, std::move(message)};
}

// OpenSSL's reason for the last failure, for messages ("no start line").
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "error " + std::to_string(code);
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

BioPtr memory_bio(std::string_view text) {
  return {BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free};
}

// An encrypted key would make OpenSSL ask for a pass phrase on the terminal: a plugin
// must never wait for input, so there is none.
int no_pass_phrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*data*/) {
  return -1;
}

std::string thumbprint(X509* certificate, const EVP_MD* digest) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> bytes{};
  unsigned int length = 0;
  if (X509_digest(certificate, digest, bytes.data(), &length) != 1) return "";
  return base64url_encode({reinterpret_cast<const char*>(bytes.data()), length});
}

long long unix_seconds(SystemTime when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

}  // namespace

std::string base64url_encode(std::string_view data) {
  std::string text = base64_encode(data);
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  for (auto& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string standard;
  standard.reserve(text.size() + 3);
  for (char c : text) {
    bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (!alphabet) {
      return std::nullopt;  // padding, '+', '/' and white space are not base64url
    }
    standard += c;
  }
  while (standard.size() % 4 != 0)
    standard += '=';
  return base64_decode(standard);
}

core::Outcome<std::string> read_small_file(const std::string& file, std::size_t limit,
                                           std::string_view what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return config_failure("cannot read " + std::string(what) + " '" + file + "'");
  std::string text(limit + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return config_failure("cannot read " + std::string(what) + " '" + file + "'");
  if (text.size() > limit) {
    return config_failure(std::string(what) + " '" + file + "' is larger than " +
                          std::to_string(limit / 1024) + " KiB");
  }
  return text;
}

core::Outcome<SigningKey> signing_key_from_pem(std::string_view pem, const std::string& origin) {
  ERR_clear_error();
  auto bio = memory_bio(pem);
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, &no_pass_phrase, nullptr);
  if (raw == nullptr) {
    bool encrypted = pem.find("ENCRYPTED") != std::string_view::npos;
    return config_failure(origin + ": " +
                          (encrypted ? std::string("the private key is encrypted; mailprobe needs "
                                                   "it unencrypted (openssl pkey -in KEY -out "
                                                   "PLAIN), in a file only it can read")
                                     : "no PEM private key (" + openssl_reason() + ")"));
  }
  SigningKey signing;
  signing.key = std::shared_ptr<EVP_PKEY>(raw, &EVP_PKEY_free);
  if (EVP_PKEY_get_base_id(raw) != EVP_PKEY_RSA) {
    return config_failure(origin + ": not an RSA key (RS256 signs with RSA)");
  }
  return signing;
}

core::Outcome<SigningKey> load_signing_key(const std::string& key_file,
                                           const std::string& certificate_file) {
  constexpr std::size_t limit = std::size_t{64} * 1024;
  auto pem = read_small_file(key_file, limit, "private key file");
  if (!pem) return pem.failure();
  auto signing = signing_key_from_pem(*pem, key_file);
  if (!signing || certificate_file.empty()) return signing;

  auto certificate_pem = read_small_file(certificate_file, limit, "certificate file");
  if (!certificate_pem) return certificate_pem.failure();
  auto bio = memory_bio(*certificate_pem);
  ERR_clear_error();
  std::unique_ptr<X509, decltype(&X509_free)> certificate(
      PEM_read_bio_X509(bio.get(), nullptr, &no_pass_phrase, nullptr), &X509_free);
  if (!certificate) {
    return config_failure(certificate_file + ": no PEM certificate (" + openssl_reason() + ")");
  }
  // A certificate of another key is the commonest mistake with certificate credentials;
  // the token endpoint would only say that the signature is invalid.
  if (EVP_PKEY_eq(X509_get0_pubkey(certificate.get()), signing->key.get()) != 1) {
    return config_failure(certificate_file + ": the certificate is not the one of the key in " +
                          key_file);
  }
  signing->x5t = thumbprint(certificate.get(), EVP_sha1());
  signing->x5t_s256 = thumbprint(certificate.get(), EVP_sha256());
  return signing;
}

core::Outcome<std::string> sign_jwt(const SigningKey& key, std::string_view claims_json) {
  json::object header;
  header["alg"] = "RS256";
  header["typ"] = "JWT";
  if (!key.key_id.empty()) header["kid"] = key.key_id;
  if (!key.x5t.empty()) header["x5t"] = key.x5t;
  if (!key.x5t_s256.empty()) header["x5t#S256"] = key.x5t_s256;
  std::string input =
      base64url_encode(json::serialize(header)) + "." + base64url_encode(claims_json);

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  std::size_t length = 0;
  ERR_clear_error();
  // RSA keys sign with PKCS#1 v1.5 padding unless told otherwise: RS256 (RFC 7518 3.3).
  bool ready =
      context && key.key &&
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key.key.get()) == 1 &&
      EVP_DigestSign(context.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  std::string signature(length, '\0');
  if (!ready ||
      EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return core::Failure{"token", core::FailureKind::internal,
                         "signing the JWT failed (" + openssl_reason() + ")"};
  }
  signature.resize(length);
  return input + "." + base64url_encode(signature);
}

std::string random_jwt_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // No randomness is a broken system; a time-based id still differs between calls.
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    for (std::size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = static_cast<unsigned char>(now >> (8 * (i % 8)));
  }
  return base64url_encode({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

core::Outcome<std::string> client_assertion(const SigningKey& key, std::string_view client_id,
                                            std::string_view token_url, SystemTime now,
                                            std::string_view jwt_id) {
  auto issued = unix_seconds(now);
  json::object claims;
  claims["aud"] = token_url;
  claims["iss"] = client_id;
  claims["sub"] = client_id;
  claims["jti"] = jwt_id;
  claims["iat"] = issued;
  claims["nbf"] = issued;
  claims["exp"] = issued + 300;
  return sign_jwt(key, json::serialize(claims));
}

core::Outcome<std::string> service_account_assertion(const SigningKey& key,
                                                     std::string_view client_email,
                                                     std::string_view subject,
                                                     std::string_view scope,
                                                     std::string_view token_url, SystemTime now) {
  auto issued = unix_seconds(now);
  json::object claims;
  claims["iss"] = client_email;
  if (!subject.empty()) claims["sub"] = subject;
  claims["scope"] = scope;
  claims["aud"] = token_url;
  claims["iat"] = issued;
  claims["exp"] = issued + 3600;
  return sign_jwt(key, json::serialize(claims));
}

core::Outcome<ServiceAccountKey> parse_service_account(std::string_view text,
                                                       const std::string& file) {
  auto fail = [&](const std::string& problem) -> core::Outcome<ServiceAccountKey> {
    return config_failure("service account key " + file + ": " + problem);
  };
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec) return fail("not JSON (" + ec.message() + ")");
  const auto* object = value.if_object();
  if (object == nullptr) return fail("not a JSON object");
  auto member = [&](std::string_view name) -> std::optional<std::string> {
    const auto* found = object->if_contains(name);
    if (found == nullptr || !found->is_string()) return std::nullopt;
    return std::string(found->get_string());
  };
  auto type = member("type");
  if (!type) return fail("no \"type\" (a service account's JSON key has \"service_account\")");
  if (*type != "service_account") {
    // The file's words, on one line and not endless: it may be any JSON.
    std::string shown;
    for (char c : std::string_view(*type).substr(0, 40))
      shown += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
    if (type->size() > 40) shown += "...";
    return fail("\"type\" is \"" + shown +
                "\", not \"service_account\" (create a key for a service account: IAM, Service "
                "accounts, Keys, Add key, JSON)");
  }
  ServiceAccountKey key;
  for (auto [name, target] :
       {std::pair{"client_email", &key.client_email}, std::pair{"private_key", &key.private_key},
        std::pair{"private_key_id", &key.private_key_id}}) {
    auto found = member(name);
    if (!found || found->empty()) return fail(std::string("no \"") + name + "\" string");
    *target = *found;
  }
  key.token_uri = member("token_uri").value_or("");
  if (key.token_uri.empty()) key.token_uri = "https://oauth2.googleapis.com/token";
  return key;
}

core::Outcome<ServiceAccountKey> read_service_account(const std::string& file) {
  auto text = read_small_file(file, std::size_t{64} * 1024, "service account key");
  if (!text) return text.failure();
  return parse_service_account(*text, file);
}

}  // namespace mailprobe::protocol
