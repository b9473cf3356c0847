// The late load of OpenSSL's error texts (openssl_texts.hpp says why) and the wrappers of
// the functions that read them. -Wl,--wrap=F makes every call of F outside this file call
// __wrap_F, and __real_F is F itself.

// The per-library loaders are OpenSSL 3.0's only public way to load libcrypto's texts once
// OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS was given; they are deprecated, not gone.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "net/openssl_texts.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/cryptoerr_legacy.h>
#include <openssl/err.h>
#include <openssl/x509err.h>

#include <atomic>
#include <cstdio>
#include <mutex>

// The names are the linker's (--wrap), hence reserved identifiers.
// NOLINTBEGIN(bugprone-reserved-identifier)
extern "C" {
const char* __real_ERR_reason_error_string(unsigned long code);
const char* __real_ERR_lib_error_string(unsigned long code);
char* __real_ERR_error_string(unsigned long code, char* buffer);
void __real_ERR_error_string_n(unsigned long code, char* buffer, size_t size);
void __real_ERR_print_errors_cb(int (*callback)(const char*, size_t, void*), void* data);
void __real_ERR_print_errors(BIO* bio);
void __real_ERR_print_errors_fp(FILE* file);
}
// NOLINTEND(bugprone-reserved-identifier)

namespace mailprobe::net {

namespace {

std::atomic<bool> deferred{false};

void load_deferred_texts() {
  if (!deferred.load(std::memory_order_acquire)) return;
  static std::once_flag once;
  std::call_once(once, [] {
    // ERR first: the library names (also of the libraries below that have no loader) and
    // the system error texts.
    ERR_load_ERR_strings();
    ERR_load_ASN1_strings();
    ERR_load_ASYNC_strings();
    ERR_load_BIO_strings();
    ERR_load_BN_strings();
    ERR_load_BUF_strings();
    ERR_load_CMS_strings();
    ERR_load_COMP_strings();
    ERR_load_CONF_strings();
    ERR_load_CRYPTO_strings();
    ERR_load_CT_strings();
    ERR_load_DH_strings();
    ERR_load_DSA_strings();
    ERR_load_EC_strings();
    ERR_load_ENGINE_strings();
    ERR_load_EVP_strings();
    ERR_load_KDF_strings();
    ERR_load_OBJ_strings();
    ERR_load_OCSP_strings();
    ERR_load_OSSL_STORE_strings();
    ERR_load_PEM_strings();
    ERR_load_PKCS12_strings();
    ERR_load_PKCS7_strings();
    ERR_load_RAND_strings();
    ERR_load_RSA_strings();
    ERR_load_TS_strings();
    ERR_load_UI_strings();
    ERR_load_X509_strings();
    ERR_load_X509V3_strings();
    deferred.store(false, std::memory_order_release);
  });
}

}  // namespace

void defer_openssl_error_texts() {
  // RUN_ONCE in OpenSSL: the first of "load" and "do not load" wins, so nothing is
  // deferred when the texts were loaded already. An X509 reason tells which happened.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, nullptr);
  bool loaded = __real_ERR_reason_error_string(
                    ERR_PACK(ERR_LIB_X509, 0, X509_R_CERT_ALREADY_IN_HASH_TABLE)) != nullptr;
  deferred.store(!loaded, std::memory_order_release);
}

bool openssl_error_texts_deferred() {
  return deferred.load(std::memory_order_acquire);
}

}  // namespace mailprobe::net

// Every way OpenSSL turns an error code into text (Boost.Asio's error category uses the
// first two).
// NOLINTBEGIN(bugprone-reserved-identifier)
extern "C" {
const char* __wrap_ERR_reason_error_string(unsigned long code) {
  mailprobe::net::load_deferred_texts();
  return __real_ERR_reason_error_string(code);
}
const char* __wrap_ERR_lib_error_string(unsigned long code) {
  mailprobe::net::load_deferred_texts();
  return __real_ERR_lib_error_string(code);
}
char* __wrap_ERR_error_string(unsigned long code, char* buffer) {
  mailprobe::net::load_deferred_texts();
  return __real_ERR_error_string(code, buffer);
}
void __wrap_ERR_error_string_n(unsigned long code, char* buffer, size_t size) {
  mailprobe::net::load_deferred_texts();
  __real_ERR_error_string_n(code, buffer, size);
}
void __wrap_ERR_print_errors_cb(int (*callback)(const char*, size_t, void*), void* data) {
  mailprobe::net::load_deferred_texts();
  __real_ERR_print_errors_cb(callback, data);
}
void __wrap_ERR_print_errors(BIO* bio) {
  mailprobe::net::load_deferred_texts();
  __real_ERR_print_errors(bio);
}
void __wrap_ERR_print_errors_fp(FILE* file) {
  mailprobe::net::load_deferred_texts();
  __real_ERR_print_errors_fp(file);
}
}
// NOLINTEND(bugprone-reserved-identifier)
