#include "net/tls_library.hpp"

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>

#include <atomic>
#include <string_view>
#include <vector>

namespace mailprobe::net {

namespace {

// The provider of the lean library context. It has no state of its own: its provider
// context is the default provider's (of OpenSSL's default library context), so that the
// default provider's functions it hands out get the context they were written for.
struct LeanProvider {
  OSSL_PROVIDER* inner = nullptr;        // the default provider, kept loaded
  std::vector<OSSL_ALGORITHM> decoders;  // inner's certificate-key decoders, null-ended
  std::vector<OSSL_ALGORITHM> ciphers;   // inner's TLS record ciphers, null-ended
};

LeanProvider& lean() {
  // Made once and never freed: SSL_CTXs of the lean context live in a cache until the
  // process ends, and OpenSSL tears its default context down at exit on its own.
  static auto* provider = new LeanProvider();  // NOLINT(cppcoreguidelines-owning-memory)
  return *provider;
}

const OSSL_ALGORITHM* query_operation(void* /*provctx*/, int operation, int* no_cache) {
  if (operation == OSSL_OP_DECODER || operation == OSSL_OP_CIPHER) {
    *no_cache = 0;
    return operation == OSSL_OP_DECODER ? lean().decoders.data() : lean().ciphers.data();
  }
  return OSSL_PROVIDER_query_operation(lean().inner, operation, no_cache);
}

void unquery_operation(void* /*provctx*/, int operation, const OSSL_ALGORITHM* algorithms) {
  if (operation != OSSL_OP_DECODER && operation != OSSL_OP_CIPHER) {
    OSSL_PROVIDER_unquery_operation(lean().inner, operation, algorithms);
  }
}

// TLS groups ("TLS-GROUP") are capabilities of the default provider.
int get_capabilities(void* /*provctx*/, const char* capability, OSSL_CALLBACK* callback,
                     void* argument) {
  return OSSL_PROVIDER_get_capabilities(lean().inner, capability, callback, argument);
}

void teardown(void* /*provctx*/) {}  // the context is the default provider's

template <typename F>
void (*as_dispatch(F* function) noexcept)() {
  return reinterpret_cast<void (*)()>(function);  // OSSL_DISPATCH's generic pointer
}

const OSSL_DISPATCH lean_dispatch[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, as_dispatch(&teardown)},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, as_dispatch(&query_operation)},
    {OSSL_FUNC_PROVIDER_UNQUERY_OPERATION, as_dispatch(&unquery_operation)},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, as_dispatch(&get_capabilities)},
    {0, nullptr},
};

int lean_init(const OSSL_CORE_HANDLE* /*handle*/, const OSSL_DISPATCH* /*in*/,
              const OSSL_DISPATCH** out, void** provctx) {
  *provctx = OSSL_PROVIDER_get0_provider_ctx(lean().inner);
  *out = lean_dispatch;
  return 1;
}

// A certificate's key is "SubjectPublicKeyInfo" in DER: the decoders for that structure,
// one per key type (RSA, RSA-PSS, EC, Ed25519, ...) and the one that tells the type.
bool decodes_certificate_keys(const OSSL_ALGORITHM& algorithm) {
  std::string_view properties =
      algorithm.property_definition != nullptr ? algorithm.property_definition : "";
  return properties.find("input=der") != std::string_view::npos &&
         properties.find("structure=SubjectPublicKeyInfo") != std::string_view::npos;
}

// The ciphers of libssl's cipher suite table (ssl_cipher_table_cipher in ssl/ssl_ciph.c,
// with the stitched AES-CBC-HMAC variants it prefers): the only ones a TLS client fetches.
// The other hundred (XTS, OFB, wrap modes, ...) would only make every search of the
// method store longer: OSSL_DECODER_CTX_new_for_pkey walks the whole store twice per
// certificate.
bool is_tls_record_cipher(const OSSL_ALGORITHM& algorithm) {
  static constexpr std::string_view tls_ciphers[] = {
      "AES-128-CBC",
      "AES-256-CBC",
      "AES-128-GCM",
      "AES-256-GCM",
      "AES-128-CCM",
      "AES-256-CCM",
      "AES-128-CBC-HMAC-SHA1",
      "AES-256-CBC-HMAC-SHA1",
      "AES-128-CBC-HMAC-SHA256",
      "AES-256-CBC-HMAC-SHA256",
      "ChaCha20-Poly1305",
      "CAMELLIA-128-CBC",
      "CAMELLIA-256-CBC",
      "ARIA-128-GCM",
      "ARIA-256-GCM",
      "DES-EDE3-CBC",
      "SEED-CBC",
      "IDEA-CBC",
  };
  std::string_view names = algorithm.algorithm_names;
  auto first = names.substr(0, names.find(':'));
  for (auto name : tls_ciphers) {
    if (first == name) return true;
  }
  return false;
}

// Copies the algorithms of `operation` that `keep` accepts, null-ended; empty when the
// default provider offers none of them (then it is not the provider this was made for).
template <typename Keep>
std::vector<OSSL_ALGORITHM> filtered(OSSL_PROVIDER* provider, int operation, Keep keep) {
  std::vector<OSSL_ALGORITHM> kept;
  int no_cache = 0;
  const OSSL_ALGORITHM* all = OSSL_PROVIDER_query_operation(provider, operation, &no_cache);
  for (const auto* a = all; a != nullptr && a->algorithm_names != nullptr; ++a) {
    if (keep(*a)) kept.push_back(*a);
  }
  if (!kept.empty()) kept.push_back({nullptr, nullptr, nullptr, nullptr});
  return kept;
}

// True when OpenSSL's default library context runs the default provider alone (and the
// base provider, which only encodes and decodes). A configuration that activates others
// (FIPS, which must not be bypassed; legacy, for old ciphers) keeps OpenSSL's context.
bool only_default_provider() {
  bool others = false;
  OSSL_PROVIDER_do_all(
      nullptr,
      [](OSSL_PROVIDER* provider, void* data) {
        std::string_view name = OSSL_PROVIDER_get0_name(provider);
        if (name != "default" && name != "base") *static_cast<bool*>(data) = true;
        return 1;
      },
      &others);
  return !others && OSSL_PROVIDER_available(nullptr, "default") == 1;
}

OSSL_LIB_CTX* make_lean_library() {
  if (!only_default_provider()) return nullptr;
  auto& provider = lean();
  provider.inner = OSSL_PROVIDER_load(nullptr, "default");
  if (provider.inner == nullptr) return nullptr;
  provider.decoders = filtered(provider.inner, OSSL_OP_DECODER, decodes_certificate_keys);
  provider.ciphers = filtered(provider.inner, OSSL_OP_CIPHER, is_tls_record_cipher);
  if (provider.decoders.empty() || provider.ciphers.empty()) return nullptr;
  OSSL_LIB_CTX* library = OSSL_LIB_CTX_new();
  if (library == nullptr) return nullptr;
  if (OSSL_PROVIDER_add_builtin(library, "mailprobe-lean", &lean_init) != 1 ||
      OSSL_PROVIDER_load(library, "mailprobe-lean") == nullptr) {
    OSSL_LIB_CTX_free(library);
    return nullptr;
  }
  return library;
}

std::atomic<bool> lean_preferred{false};

}  // namespace

void prefer_lean_tls_library(bool lean) {
  lean_preferred = lean;
}

OSSL_LIB_CTX* client_tls_library() {
  if (!lean_preferred) return nullptr;
  static OSSL_LIB_CTX* library = make_lean_library();
  return library;
}

}  // namespace mailprobe::net
