// DKIM key records (RFC 6376 section 3.6.1, RFC 8463 section 4, RFC 8301), with keys made
// here by OpenSSL. Error strings are asserted: check_mail_domain shows them.

#include "protocol/dkim_key.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "protocol/sasl.hpp"

namespace mailprobe::protocol {
namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

// base64 of a new RSA key's SubjectPublicKeyInfo, as opendkim-genkey publishes it.
std::string rsa_key(unsigned bits) {
  PkeyPtr key(EVP_RSA_gen(bits), &EVP_PKEY_free);
  return base64_encode(spki_der(key.get()));
}

PkeyPtr ed25519() {
  return {EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free};
}

core::Outcome<DkimKey> parse(const std::string& txt) {
  return parse_dkim_key(txt);
}

TEST(DkimKey, RsaKeys) {
  for (unsigned bits : {512U, 1024U, 2048U}) {
    auto key = parse("v=DKIM1; k=rsa; p=" + rsa_key(bits));
    ASSERT_TRUE(key) << key.failure().message;
    EXPECT_EQ(key->type, "rsa");
    EXPECT_EQ(key->bits, static_cast<int>(bits));
    EXPECT_FALSE(key->revoked);
    EXPECT_TRUE(key->warnings.empty());
  }
  // k= defaults to rsa; v= is optional; p= may be folded with FWS anywhere.
  auto text = rsa_key(1024);
  auto folded = text.substr(0, 100) + " \t" + text.substr(100, 60) + "\r\n " + text.substr(160);
  auto key = parse("p=" + folded);
  ASSERT_TRUE(key) << key.failure().message;
  EXPECT_EQ(key->bits, 1024);
}

TEST(DkimKey, RsaPublicKeyWithoutSpki) {
  // RFC 6376's text names an RSAPublicKey; verifiers read SubjectPublicKeyInfo.
  PkeyPtr rsa(EVP_RSA_gen(1024), &EVP_PKEY_free);
  unsigned char* der = nullptr;
  int size = i2d_PublicKey(rsa.get(), &der);
  std::string pkcs1(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  auto key = parse("v=DKIM1; p=" + base64_encode(pkcs1));
  ASSERT_TRUE(key) << key.failure().message;
  EXPECT_EQ(key->bits, 1024);
  EXPECT_EQ(key->warnings, std::vector<std::string>{
                               "p= is a bare PKCS#1 RSAPublicKey, not the SubjectPublicKeyInfo "
                               "that verifiers such as OpenDKIM read"});
}

TEST(DkimKey, Ed25519Keys) {
  // RFC 8463 appendix A.2's key record.
  auto example = parse("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  ASSERT_TRUE(example) << example.failure().message;
  EXPECT_EQ(example->type, "ed25519");
  EXPECT_EQ(example->bits, 256);

  auto made = ed25519();
  std::string raw(32, '\0');
  std::size_t length = raw.size();
  ASSERT_EQ(EVP_PKEY_get_raw_public_key(made.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                        &length),
            1);
  EXPECT_TRUE(parse("v=DKIM1; k=ed25519; p=" + base64_encode(raw)));
  // The usual mistake: the key in a SubjectPublicKeyInfo, as `openssl pkey -pubout` writes.
  auto wrapped = parse("v=DKIM1; k=ed25519; p=" + base64_encode(spki_der(made.get())));
  ASSERT_FALSE(wrapped);
  EXPECT_EQ(wrapped.failure().message,
            "p= is an Ed25519 key wrapped in a SubjectPublicKeyInfo (44 bytes): RFC 8463 section "
            "4 wants the raw 32-byte key");
  auto short_key = parse("v=DKIM1; k=ed25519; p=" + base64_encode(raw.substr(0, 30)));
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.failure().message,
            "p= is 30 bytes, not the 32 of an Ed25519 key (RFC 8463 section 4)");
  // An Ed25519 key published with k=rsa (or without k=).
  auto mismatch = parse("v=DKIM1; p=" + base64_encode(spki_der(made.get())));
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.failure().message, "p= holds an Ed25519 key, but k= says rsa");
}

TEST(DkimKey, Flags) {
  auto p = rsa_key(1024);
  struct Case {
    std::string tags;
    bool testing;
    bool strict;
  };
  const Case cases[] = {
      {"t=y", true, false},    {"t=s", false, true},  {"t=y:s", true, true},
      {"t=y : s", true, true}, {"t=x", false, false}, {"t=", false, false},
  };
  for (const auto& c : cases) {
    auto key = parse("v=DKIM1; " + c.tags + "; p=" + p);
    ASSERT_TRUE(key) << c.tags << ": " << key.failure().message;
    EXPECT_EQ(key->testing, c.testing) << c.tags;
    EXPECT_EQ(key->strict, c.strict) << c.tags;
  }
  EXPECT_TRUE(parse("v=DKIM1; h=sha1:sha256; s=email; n=a note; p=" + p));
  EXPECT_TRUE(parse("v=DKIM1; h=sha256; s=*; p=" + p));
  EXPECT_TRUE(parse("v=DKIM1; s=tlsrpt:email; x=unknown; p=" + p));
}

TEST(DkimKey, Revoked) {
  for (const char* txt : {"v=DKIM1; p=", "v=DKIM1; k=rsa; p=;", "p= ", "v=DKIM1; k=ed25519; p="}) {
    auto key = parse(txt);
    ASSERT_TRUE(key) << txt << ": " << key.failure().message;
    EXPECT_TRUE(key->revoked) << txt;
    EXPECT_EQ(key->bits, 0) << txt;
  }
}

TEST(DkimKey, UnusableRecords) {
  auto p = rsa_key(1024);
  struct Case {
    std::string txt;
    std::string error;
  };
  const Case cases[] = {
      {"k=rsa; v=DKIM1; p=" + p, "v= is not the first tag (RFC 6376 section 3.6.1)"},
      {"v=DKIM2; p=" + p, "v='DKIM2' is not DKIM1: verifiers discard the record"},
      {"v=DKIM1; k=dsa; p=" + p,
       "k 'dsa' is not rsa or ed25519: verifiers ignore the key (RFC 6376 section 3.6.1)"},
      // Values are case-sensitive (RFC 6376 section 3.2).
      {"v=DKIM1; k=RSA; p=" + p,
       "k 'RSA' is not rsa or ed25519: verifiers ignore the key (RFC 6376 section 3.6.1)"},
      {"v=DKIM1; h=sha1; p=" + p,
       "h 'sha1' does not allow sha256, and sha1 is no longer accepted (RFC 8301 section 3.1): "
       "no signature can verify"},
      {"v=DKIM1; s=tlsrpt; p=" + p,
       "s 'tlsrpt' lists neither email nor *: verifiers ignore the "
       "key for mail"},
      {"v=DKIM1; k=rsa", "no p= tag: the record has no key (RFC 6376 section 3.6.1)"},
      {"v=DKIM1; p=" + p + "; p=" + p,
       "no key record: tag 'p' appears twice, which makes the whole record invalid (RFC 6376 "
       "section 3.2)"},
      {"v=DKIM1; p=MIGf!MA0G", "p= has '!', which is not base64"},
      {"v=DKIM1; p=MIGfMA0",
       "p= is cut short: base64 of 7 characters (a multiple of 4 is whole; "
       "is a TXT string missing?)"},
      {"v=DKIM1; p=MI=GfMA0", "p= has '=' inside the base64, where only up to two may end it"},
      {"v=DKIM1; p=AAAAAAAA",
       "p= is no RSA public key (6 bytes that are no DER "
       "SubjectPublicKeyInfo)"},
      {"google-site-verification=abc",
       "no key record: tag 'google-site-verification=abc' is not name=value (a tag name has "
       "letters, digits and '_' only)"},
      {"", "no key record: the record is empty"},
  };
  for (const auto& c : cases) {
    auto key = parse(c.txt);
    ASSERT_FALSE(key) << c.txt;
    EXPECT_EQ(key.failure().message, c.error) << c.txt;
    EXPECT_EQ(key.failure().phase, "dkim");
  }
}

TEST(DkimKey, OddSplits) {
  // A 2048-bit key is over 255 bytes, so it comes in two TXT strings, joined without
  // separator. One string lost (or a key cut at 255) leaves base64 that is cut short.
  auto txt = "v=DKIM1; k=rsa; p=" + rsa_key(2048);
  ASSERT_GT(txt.size(), 255U);
  EXPECT_TRUE(parse(txt));
  auto cut = parse(txt.substr(0, 255));
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.failure().message.find("p= is cut short"), std::string::npos)
      << cut.failure().message;
  // Cut at a multiple of 4: whole base64, but no whole key.
  auto len = 18 + (txt.size() - 18) / 2 / 4 * 4;
  auto half = parse(txt.substr(0, len));
  ASSERT_FALSE(half);
  EXPECT_NE(half.failure().message.find("is no RSA public key"), std::string::npos)
      << half.failure().message;
  // The second string first.
  auto key = rsa_key(2048);
  auto swapped = parse("v=DKIM1; k=rsa; p=" + key.substr(200) + key.substr(0, 200));
  EXPECT_FALSE(swapped);
}

TEST(DkimKey, Garbage) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  for (const std::string& txt : {all, "p=" + std::string(60000, 'A'), "p=" + all,
                                 std::string(65535, '='), "v=DKIM1; p=" + std::string(4, '/')}) {
    auto key = parse(txt);
    if (!key) {
      EXPECT_FALSE(key.failure().message.empty());
      EXPECT_LT(key.failure().message.size(), 400U);
    }
  }
}

}  // namespace
}  // namespace mailprobe::protocol
