// OpenSSL's error texts left for when one is asked for (net/openssl_texts.hpp): the texts
// are really not loaded after the deferral, and the functions that read them load them
// first, so no code is shown without its text.

#include "net/openssl_texts.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509err.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// In a process of its own (the death test runs the test binary again for just this test),
// so that no earlier test has started OpenSSL.
void deferred_then_asked(bool through_error_string) {
  mailprobe::net::defer_openssl_error_texts();
  if (!mailprobe::net::openssl_error_texts_deferred()) std::exit(2);
  // A real error of libcrypto: a PEM reader given something that is not PEM.
  BIO* bio = BIO_new_mem_buf("not a certificate", -1);
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (certificate != nullptr) std::exit(3);
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  std::string text;
  if (through_error_string) {
    char buffer[256] = {};
    ERR_error_string_n(code, buffer, sizeof buffer);
    text = buffer;
  } else {
    const char* reason = ERR_reason_error_string(code);
    text = reason != nullptr ? reason : "";
  }
  if (text.find("no start line") == std::string::npos) std::exit(4);
  if (mailprobe::net::openssl_error_texts_deferred()) std::exit(5);
  std::exit(0);
}

TEST(OpensslTextsDeathTest, ReasonTextIsLoadedWhenAskedFor) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(deferred_then_asked(false), testing::ExitedWithCode(0), "");
}

TEST(OpensslTextsDeathTest, ErrorStringIsLoadedWhenAskedFor) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(deferred_then_asked(true), testing::ExitedWithCode(0), "");
}

// Once OpenSSL has loaded its texts, deferring is a no-op and says so.
TEST(OpensslTexts, NothingIsDeferredOnceLoaded) {
  // What a process that has used OpenSSL's error queue has done:
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  mailprobe::net::defer_openssl_error_texts();
  EXPECT_FALSE(mailprobe::net::openssl_error_texts_deferred());
  const char* reason =
      ERR_reason_error_string(ERR_PACK(ERR_LIB_X509, 0, X509_R_NO_CERTIFICATE_OR_CRL_FOUND));
  ASSERT_NE(reason, nullptr);
  EXPECT_STREQ(reason, "no certificate or crl found");
}

}  // namespace
