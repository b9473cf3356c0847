#include "protocol/dkim_key.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "protocol/sasl.hpp"
#include "protocol/tag_list.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::protocol {

namespace {

core::Failure failure(std::string message) {
  return core::Failure{"dkim", core::FailureKind::protocol, std::move(message)};
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

bool contains(const std::vector<std::string_view>& items, std::string_view item) {
  return std::ranges::find(items, item) != items.end();
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// base64string (section 3.6.1, FWS already removed): the alphabet, then at most two '=',
// in groups of four.
std::optional<std::string> decode_base64(const std::string& text, std::string& problem) {
  auto data_end = text.find('=');
  auto data = std::string_view(text).substr(0, data_end);
  auto bad = std::ranges::find_if(data, [](char c) { return !is_base64_char(c); });
  if (bad != data.end()) {
    problem = "p= has " + quoted(std::string_view(&*bad, 1)) + ", which is not base64";
    return std::nullopt;
  }
  if (data_end != std::string::npos) {
    auto padding = std::string_view(text).substr(data_end);
    if (padding.size() > 2 || padding.find_first_not_of('=') != std::string_view::npos) {
      problem = "p= has '=' inside the base64, where only up to two may end it";
      return std::nullopt;
    }
  }
  if (text.size() % 4 != 0) {
    problem = "p= is cut short: base64 of " + std::to_string(text.size()) +
              " characters (a multiple of 4 is whole; is a TXT string missing?)";
    return std::nullopt;
  }
  auto decoded = base64_decode(text);
  if (!decoded) problem = "p= is not valid base64";
  return decoded;
}

std::string_view pkey_name(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return "RSA";
    case EVP_PKEY_RSA_PSS:
      return "RSA-PSS";
    case EVP_PKEY_EC:
      return "EC";
    case EVP_PKEY_ED25519:
      return "Ed25519";
    case EVP_PKEY_ED448:
      return "Ed448";
    case EVP_PKEY_DSA:
      return "DSA";
    default:
      return "non-RSA";
  }
}

// k=rsa: a DER SubjectPublicKeyInfo, as every signer publishes and verifiers (OpenDKIM's
// d2i_PUBKEY) read it. RFC 6376 section 3.6.1 names an RSAPublicKey (PKCS#1); such a key is
// read, with a warning that SubjectPublicKeyInfo readers reject it.
core::Status read_rsa(const std::string& der, DkimKey& key) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  const auto* at = bytes;
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &at, static_cast<long>(der.size())), &EVP_PKEY_free);
  if (!pkey) {
    at = bytes;
    pkey.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &at, static_cast<long>(der.size())));
    ERR_clear_error();  // the first attempt's error stays out of other OpenSSL users' way
    if (!pkey) {
      return failure("p= is no RSA public key (" + std::to_string(der.size()) +
                     " bytes that are no DER SubjectPublicKeyInfo)");
    }
    key.warnings.push_back(
        "p= is a bare PKCS#1 RSAPublicKey, not the SubjectPublicKeyInfo "
        "that verifiers such as OpenDKIM read");
  }
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA) {
    return failure("p= holds an " + std::string(pkey_name(pkey.get())) + " key, but k= says rsa");
  }
  if (at != bytes + der.size()) {
    key.warnings.push_back("p= has " + std::to_string(bytes + der.size() - at) +
                           " bytes after the key, which verifiers may reject");
  }
  key.bits = EVP_PKEY_get_bits(pkey.get());
  return core::success();
}

// k=ed25519: the raw 32-byte public key (RFC 8463 section 4), not a SubjectPublicKeyInfo.
core::Status read_ed25519(const std::string& raw, DkimKey& key) {
  if (raw.size() != 32) {
    const auto* at = reinterpret_cast<const unsigned char*>(raw.data());
    PkeyPtr spki(d2i_PUBKEY(nullptr, &at, static_cast<long>(raw.size())), &EVP_PKEY_free);
    ERR_clear_error();
    if (spki && EVP_PKEY_get_base_id(spki.get()) == EVP_PKEY_ED25519) {
      return failure("p= is an Ed25519 key wrapped in a SubjectPublicKeyInfo (" +
                     std::to_string(raw.size()) +
                     " bytes): RFC 8463 section 4 wants the raw 32-byte key");
    }
    return failure("p= is " + std::to_string(raw.size()) +
                   " bytes, not the 32 of an Ed25519 key (RFC 8463 section 4)");
  }
  PkeyPtr pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                  reinterpret_cast<const unsigned char*>(raw.data()), raw.size()),
      &EVP_PKEY_free);
  if (!pkey) return failure("p= is no Ed25519 public key");
  key.bits = 256;
  return core::success();
}

}  // namespace

core::Outcome<DkimKey> parse_dkim_key(std::string_view txt) {
  auto parsed = parse_tag_list(txt);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    return failure("no key record: " + *error);
  }
  const auto& list = std::get<TagList>(parsed);
  DkimKey key;
  // v= is optional, but first and exactly DKIM1 when present (section 3.6.1).
  if (const auto* v = list.find("v")) {
    if (v != &list.tags.front()) return failure("v= is not the first tag (RFC 6376 section 3.6.1)");
    if (v->value != "DKIM1") {
      return failure("v=" + quoted(v->value) + " is not DKIM1: verifiers discard the record");
    }
  }
  if (const auto* k = list.find("k")) {
    if (k->value != "rsa" && k->value != "ed25519") {
      return failure("k " + quoted(k->value) +
                     " is not rsa or ed25519: verifiers ignore the key (RFC 6376 section 3.6.1)");
    }
    key.type = std::string(k->value);
  }
  // h=: hash algorithms the key may be used with; RFC 8301 section 3.1 forbids sha1, so one
  // without sha256 verifies nothing. Unknown names are ignored.
  if (const auto* h = list.find("h")) {
    if (!contains(split_tag_value(h->value, ':'), "sha256")) {
      return failure("h " + quoted(h->value) +
                     " does not allow sha256, and sha1 is no longer accepted (RFC 8301 section "
                     "3.1): no signature can verify");
    }
  }
  // s=: "Verifiers for a given service type MUST ignore this record if the appropriate type
  // is not listed" (errata 1381 to section 3.6.1).
  if (const auto* s = list.find("s")) {
    auto services = split_tag_value(s->value, ':');
    if (!contains(services, "*") && !contains(services, "email")) {
      return failure("s " + quoted(s->value) +
                     " lists neither email nor *: verifiers ignore the key for mail");
    }
  }
  if (const auto* t = list.find("t")) {
    auto flags = split_tag_value(t->value, ':');
    key.testing = contains(flags, "y");
    key.strict = contains(flags, "s");
  }
  const auto* p = list.find("p");
  if (p == nullptr) return failure("no p= tag: the record has no key (RFC 6376 section 3.6.1)");
  auto text = without_fws(p->value);
  if (text.empty()) {
    key.revoked = true;
    return key;
  }
  std::string problem;
  auto der = decode_base64(text, problem);
  if (!der) return failure(problem);
  auto read = key.type == "rsa" ? read_rsa(*der, key) : read_ed25519(*der, key);
  if (!read) return read.failure();
  return key;
}

}  // namespace mailprobe::protocol
