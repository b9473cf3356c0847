// TLSA records (RFC 6698, RFC 7671, RFC 7672): parsing the RDATA, the names in messages,
// which records SMTP can use, and matching against certificates. Expected digests are
// computed here without the code under test: from `openssl` command-line output for a fixed
// certificate, and from the PEM text and private key for certificates of TestPki.

#include "protocol/tlsa.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/dane.hpp"
#include "support/test_pki.hpp"

namespace mailprobe::protocol {
namespace {

using Bytes = std::vector<unsigned char>;

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
using CertPtr = std::unique_ptr<X509, X509Free>;

Bytes from_hex(std::string_view hex) {
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    ADD_FAILURE() << "bad hex digit " << c;
    return 0;
  };
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<unsigned char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  return out;
}

std::string to_hex(const Bytes& bytes) {
  std::string out;
  for (unsigned char b : bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

Bytes rdata(std::uint8_t usage, std::uint8_t selector, std::uint8_t matching, const Bytes& data) {
  // Sized first and filled by index: GCC 12 at -O2 warns about insert() after a list.
  Bytes out(3 + data.size());
  out[0] = usage;
  out[1] = selector;
  out[2] = matching;
  std::copy(data.begin(), data.end(), out.begin() + 3);
  return out;
}

CertPtr read_cert(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  EXPECT_NE(cert, nullptr);
  return cert;
}

// The DER of a certificate as its PEM text carries it: the base64 between the armor lines.
Bytes der_from_pem(const std::string& pem) {
  std::string base64;
  std::size_t start = pem.find('\n') + 1;
  std::size_t end = pem.find("-----END");
  for (std::size_t i = start; i < end; ++i) {
    if (pem[i] != '\n' && pem[i] != '\r') base64 += pem[i];
  }
  Bytes out(base64.size());
  int size = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(base64.data()),
                             static_cast<int>(base64.size()));
  EXPECT_GT(size, 0);
  out.resize(static_cast<std::size_t>(size));
  // EVP_DecodeBlock counts the bytes '=' padding stands for.
  for (auto i = base64.rbegin(); i != base64.rend() && *i == '='; ++i)
    out.pop_back();
  return out;
}

// The SubjectPublicKeyInfo of the key pair, from the private key rather than the certificate.
Bytes spki_from_private_key(const std::string& key_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  EXPECT_NE(key, nullptr);
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key.get(), &der);
  EXPECT_GT(size, 0);
  Bytes out(der, der + size);
  OPENSSL_free(der);
  return out;
}

Bytes digest(const Bytes& data, const char* name) {
  Bytes out(EVP_MAX_MD_SIZE);
  std::size_t size = 0;
  EXPECT_EQ(EVP_Q_digest(nullptr, name, nullptr, data.data(), data.size(), out.data(), &size), 1);
  out.resize(size);
  return out;
}

// --- Parsing -------------------------------------------------------------------------------

TEST(TlsaRdata, ParsesTheThreeOctetsAndTheData) {
  // RFC 6698 section 2.3, first example: 0 0 1 d2abde24...
  auto sha = from_hex("d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971");
  struct Case {
    Bytes wire;
    std::uint8_t usage, selector, matching;
    Bytes data;
  };
  const Case cases[] = {
      {rdata(0, 0, 1, sha), 0, 0, 1, sha},
      {rdata(3, 1, 1, sha), 3, 1, 1, sha},
      {rdata(2, 0, 2, Bytes(64, 0xab)), 2, 0, 2, Bytes(64, 0xab)},
      {rdata(3, 1, 0, Bytes{0x30}), 3, 1, 0, Bytes{0x30}},  // one data octet is enough
      // Unassigned values parse: whether they are usable is unusable_reason's question.
      {rdata(255, 255, 255, Bytes{1, 2}), 255, 255, 255, Bytes{1, 2}},
  };
  for (const auto& c : cases) {
    auto record = parse_tlsa_rdata(c.wire);
    ASSERT_TRUE(record) << to_hex(c.wire);
    EXPECT_EQ(record->usage, c.usage);
    EXPECT_EQ(record->selector, c.selector);
    EXPECT_EQ(record->matching, c.matching);
    EXPECT_EQ(record->data, c.data) << to_hex(c.wire);
  }
}

TEST(TlsaRdata, RejectsRdataWithoutData) {
  const Bytes cases[] = {{}, {3}, {3, 1}, {3, 1, 1}};
  for (const auto& wire : cases)
    EXPECT_FALSE(parse_tlsa_rdata(wire)) << wire.size() << " octets";
}

// --- Names ---------------------------------------------------------------------------------

TEST(TlsaNames, Rfc7218Mnemonics) {
  struct Case {
    std::uint8_t value;
    const char *usage, *selector, *matching;
  };
  const Case cases[] = {
      {0, "PKIX-TA", "Cert", "Full"},        {1, "PKIX-EE", "SPKI", "SHA2-256"},
      {2, "DANE-TA", "unknown", "SHA2-512"}, {3, "DANE-EE", "unknown", "unknown"},
      {4, "unknown", "unknown", "unknown"},  {255, "PrivCert", "PrivSel", "PrivMatch"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(tlsa_usage_name(c.value), c.usage) << int{c.value};
    EXPECT_EQ(tlsa_selector_name(c.value), c.selector) << int{c.value};
    EXPECT_EQ(tlsa_matching_name(c.value), c.matching) << int{c.value};
  }
}

TEST(TlsaDescribe, NamesNumbersAndData) {
  auto sha256 = from_hex("8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1");
  Bytes der(400);
  for (std::size_t i = 0; i < der.size(); ++i)
    der[i] = static_cast<unsigned char>(i);
  struct Case {
    TlsaRecord record;
    std::string expected;
  };
  const Case cases[] = {
      {{3, 1, 1, sha256},
       "DANE-EE SPKI SHA2-256 3 1 1 "
       "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1"},
      {{2, 0, 2, Bytes(64, 0xee)}, "DANE-TA Cert SHA2-512 2 0 2 " + std::string(128, 'e')},
      // A whole certificate is too long for a message line: its start and its size.
      {{3, 0, 0, der},
       "DANE-EE Cert Full 3 0 0 "
       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f... (400 bytes)"},
      {{7, 9, 9, Bytes{0xab}}, "unknown unknown unknown 7 9 9 ab"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(describe(c.record), c.expected);
}

// --- Usability for SMTP (RFC 7672 section 3.1.3, RFC 6698 section 4.1) -----------------------

TEST(TlsaUnusable, ForSmtp) {
  struct Case {
    std::uint8_t usage, selector, matching;
    std::size_t size;
    std::optional<std::string> reason;
  };
  const Case cases[] = {
      // What RFC 7672 section 3.1.1 recommends, and the other DANE-TA/DANE-EE forms.
      {3, 1, 1, 32, std::nullopt},
      {3, 0, 1, 32, std::nullopt},
      {2, 0, 1, 32, std::nullopt},
      {2, 1, 2, 64, std::nullopt},
      {3, 0, 0, 400, std::nullopt},
      {2, 1, 0, 91, std::nullopt},
      {0, 0, 1, 32,
       "usage PKIX-TA(0) is unusable for SMTP (RFC 7672 section 3.1.3), publish DANE-EE(3) or "
       "DANE-TA(2)"},
      {1, 1, 1, 32,
       "usage PKIX-EE(1) is unusable for SMTP (RFC 7672 section 3.1.3), publish DANE-EE(3) or "
       "DANE-TA(2)"},
      {4, 1, 1, 32, "unknown usage 4"},
      {255, 1, 1, 32, "unknown usage 255"},
      {3, 2, 1, 32, "unknown selector 2"},
      {3, 255, 1, 32, "unknown selector 255"},
      {3, 1, 3, 32, "unknown matching type 3"},
      {2, 1, 255, 32, "unknown matching type 255"},
      // A SHA-1 fingerprint pasted where a SHA2-256 digest belongs.
      {3, 1, 1, 20, "digest of 20 bytes, SHA2-256 needs 32"},
      {3, 1, 1, 64, "digest of 64 bytes, SHA2-256 needs 32"},
      {3, 1, 2, 32, "digest of 32 bytes, SHA2-512 needs 64"},
      // Usage comes first: a PKIX record is unusable whatever else is wrong with it.
      {0, 7, 7, 1,
       "usage PKIX-TA(0) is unusable for SMTP (RFC 7672 section 3.1.3), publish DANE-EE(3) or "
       "DANE-TA(2)"},
  };
  for (const auto& c : cases) {
    TlsaRecord record{c.usage, c.selector, c.matching, Bytes(c.size, 0x5a)};
    EXPECT_EQ(unusable_reason(record), c.reason) << describe(record);
  }
}

// --- Matching a fixed certificate, digests from the openssl command line -------------------

// openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj /CN=mx.example.test
constexpr const char* fixed_pem = R"(-----BEGIN CERTIFICATE-----
MIIBjDCCATGgAwIBAgIUXmdxnAGorYzcVI//DfgUZ7ZjROEwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPbXguZXhhbXBsZS50ZXN0MCAXDTI2MTIwNjAyNDMzNloYDzIx
MjYxMTEyMDI0MzM2WjAaMRgwFgYDVQQDDA9teC5leGFtcGxlLnRlc3QwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAARibW2qd+n22gkH8UegKtshBZEginFV4gveqTR3
wxAxRlvK73RYGXE3vNtH7qaebUiuq+oOn7vBdwQF3dFv1izJo1MwUTAdBgNVHQ4E
FgQUGhHGa+LyDDrTcVnWBQBd4dUUA/AwHwYDVR0jBBgwFoAUGhHGa+LyDDrTcVnW
BQBd4dUUA/AwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA3sGe
UPZdX977qb2/Q0ILw6g7XAhwsCdjA0K0y+ukSUkCIQD3lnLvXDD3Y1Am8ZkQgfA5
akgrNqxmpD21fGSdSEfhfw==
-----END CERTIFICATE-----
)";
// openssl x509 -outform DER | openssl dgst -sha256 (and -sha512)
constexpr const char* fixed_cert_sha256 =
    "e0977a2feab605bc66843b37a118fed8cbdce2bfa359075af5539a20c6c79b80";
constexpr const char* fixed_cert_sha512 =
    "c50473ad39b670f8eaaf7b98fd62cad6f6c8398b8f8858d458f90e4aab1e4c75"
    "8fa93249c10134e5259fb2144a6c49d5301d2fc41a926d724a8e33d608492835";
// openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER (| openssl dgst ...)
constexpr const char* fixed_spki =
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004626d6daa77e9f6da0907f147a02adb21"
    "0591208a7155e20bdea93477c31031465bcaef7458197137bcdb47eea69e6d48aeabea0e9fbbc1770405ddd1"
    "6fd62cc9";
constexpr const char* fixed_spki_sha256 =
    "11d56711dc5cda00eda374a4bd96b324d08f00c48c3864c943bb6b7deb50ee3d";
constexpr const char* fixed_spki_sha512 =
    "064e2bfb9d14dfc251fa691019a1f7c7ca0aba28fddaa4e7d3df625ca7a1754b"
    "26ca8d24069af84278e492674b00ed2942882dbe767d194b10bc6cada31521c9";

TEST(TlsaDigestHex, FixedCertificate) {
  auto cert = read_cert(fixed_pem);
  struct Case {
    std::uint8_t selector, matching;
    std::string expected;
  };
  const Case cases[] = {
      {0, 1, fixed_cert_sha256},
      {0, 2, fixed_cert_sha512},
      {1, 1, fixed_spki_sha256},
      {1, 2, fixed_spki_sha512},
      {1, 0, fixed_spki},
      {0, 0, to_hex(der_from_pem(fixed_pem))},
      {2, 1, ""},  // unknown selector
      {1, 3, ""},  // unknown matching type
      {255, 255, ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(tlsa_digest_hex(cert.get(), c.selector, c.matching), c.expected)
        << int{c.selector} << " " << int{c.matching};
  }
  EXPECT_EQ(tlsa_digest_hex(nullptr, 1, 1), "");
}

TEST(TlsaMatches, FixedCertificate) {
  auto cert = read_cert(fixed_pem);
  auto spki256 = from_hex(fixed_spki_sha256);
  ASSERT_EQ(spki256.size(), 32u);
  // Indexed, not back()/pop_back(): GCC 12 at -O2 cannot see the size and warns.
  auto flipped = spki256;
  flipped[31] ^= 0x01;
  auto truncated = std::vector<unsigned char>(spki256.begin(), spki256.begin() + 31);
  auto longer = spki256;
  longer.push_back(0);
  struct Case {
    TlsaRecord record;
    bool matches;
    const char* what;
  };
  const Case cases[] = {
      {{3, 1, 1, spki256}, true, "3 1 1, the usual DANE-EE record"},
      {{3, 1, 2, from_hex(fixed_spki_sha512)}, true, "3 1 2"},
      {{3, 0, 1, from_hex(fixed_cert_sha256)}, true, "3 0 1"},
      {{2, 0, 2, from_hex(fixed_cert_sha512)}, true, "2 0 2"},
      {{3, 1, 0, from_hex(fixed_spki)}, true, "3 1 0, the key itself"},
      {{3, 0, 0, der_from_pem(fixed_pem)}, true, "3 0 0, the certificate itself"},
      // The usage is the caller's business; only the association is compared.
      {{1, 1, 1, spki256}, true, "1 1 1"},
      {{3, 1, 1, flipped}, false, "one bit off"},
      {{3, 1, 1, truncated}, false, "a byte short"},
      {{3, 1, 1, longer}, false, "a byte long"},
      {{3, 0, 1, spki256}, false, "the key's digest under the certificate selector"},
      {{3, 1, 2, spki256}, false, "a SHA2-256 digest under SHA2-512"},
      {{3, 2, 1, spki256}, false, "unknown selector"},
      {{3, 1, 3, spki256}, false, "unknown matching type"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(tlsa_matches(c.record, cert.get()), c.matches) << c.what;
  EXPECT_FALSE(tlsa_matches({3, 1, 1, spki256}, nullptr));
}

// --- Matching certificates made by TestPki ---------------------------------------------------

TEST(TlsaMatches, IssuedLeafAndItsCa) {
  test::TestPki pki;
  auto leaf_pem = pki.issue("mx.example.test", {"DNS:mx.example.test"});
  auto other_pem = pki.issue("mx.example.test", {"DNS:mx.example.test"});  // a new key
  auto leaf = read_cert(leaf_pem.certificate);
  auto other = read_cert(other_pem.certificate);
  auto ca = read_cert(pki.ca().certificate);

  auto leaf_spki = spki_from_private_key(leaf_pem.key);
  auto leaf_der = der_from_pem(leaf_pem.certificate);
  auto ca_der = der_from_pem(pki.ca().certificate);

  // Each selector/matching combination, expected bytes computed from PEM and key.
  struct Case {
    std::uint8_t selector, matching;
    Bytes expected;
  };
  const Case cases[] = {
      {1, 0, leaf_spki}, {1, 1, digest(leaf_spki, "SHA256")}, {1, 2, digest(leaf_spki, "SHA512")},
      {0, 0, leaf_der},  {0, 1, digest(leaf_der, "SHA256")},  {0, 2, digest(leaf_der, "SHA512")},
  };
  for (const auto& c : cases) {
    TlsaRecord record{TlsaRecord::dane_ee, c.selector, c.matching, c.expected};
    EXPECT_TRUE(tlsa_matches(record, leaf.get())) << describe(record);
    EXPECT_EQ(tlsa_digest_hex(leaf.get(), c.selector, c.matching), to_hex(c.expected));
    // A certificate with another key (the stale-TLSA case) matches none of them.
    EXPECT_FALSE(tlsa_matches(record, other.get())) << describe(record);
  }

  // DANE-TA 2 0 1 names the CA: it matches the CA certificate, not the leaf it signed.
  TlsaRecord ta{TlsaRecord::dane_ta, TlsaRecord::cert, TlsaRecord::sha2_256,
                digest(ca_der, "SHA256")};
  EXPECT_TRUE(tlsa_matches(ta, ca.get()));
  EXPECT_FALSE(tlsa_matches(ta, leaf.get()));
}

TEST(TlsaDigestHex, NamesWhatTheServerWouldHaveToPublish) {
  // check_mx's message when a record does not match: the served key's digest, in the same
  // form as the record's data, so the two can be compared by eye.
  auto cert = read_cert(fixed_pem);
  TlsaRecord stale{3, 1, 1, Bytes(32, 0x11)};
  ASSERT_FALSE(tlsa_matches(stale, cert.get()));
  EXPECT_EQ("the certificate's " + tlsa_selector_name(stale.selector) + " " +
                tlsa_matching_name(stale.matching) + " is " +
                tlsa_digest_hex(cert.get(), stale.selector, stale.matching),
            std::string("the certificate's SPKI SHA2-256 is ") + fixed_spki_sha256);
}

// DANE-TA (RFC 7672 section 3.2.3): the leaf must chain to the anchor and name the TLSA base
// domain, the MX host name or the next-hop domain; the failure says which names and what
// the certificate names.
TEST(DaneVerify, TaAcceptsTheNextHopDomainAndSaysWhatANameMismatchIs) {
  test::TestPki pki;
  TlsaRecord ta{TlsaRecord::dane_ta, TlsaRecord::cert, TlsaRecord::sha2_256,
                digest(der_from_pem(pki.ca().certificate), "SHA256")};
  auto chain_of = [&](const test::Pem& leaf) {
    std::vector<net::X509Ptr> chain;
    chain.emplace_back(read_cert(leaf.certificate).release());
    chain.emplace_back(read_cert(pki.ca().certificate).release());
    return chain;
  };
  const std::vector<std::string> names{"mx.example.test", "example.test"};
  auto mx_name = pki.issue("mx.example.test", {"DNS:mx.example.test"});
  EXPECT_EQ(verify_dane({ta}, chain_of(mx_name), names).result, DaneVerdict::Result::matched);
  auto next_hop = pki.issue("example.test", {"DNS:example.test"});
  EXPECT_EQ(verify_dane({ta}, chain_of(next_hop), names).result, DaneVerdict::Result::matched);
  auto other = pki.issue("other.test", {"DNS:other.test"});
  auto verdict = verify_dane({ta}, chain_of(other), names);
  EXPECT_EQ(verdict.result, DaneVerdict::Result::no_match);
  EXPECT_NE(verdict.presented.find("is not valid for 'mx.example.test' or 'example.test' (it "
                                   "names DNS:other.test)"),
            std::string::npos)
      << verdict.presented;
}

}  // namespace
}  // namespace mailprobe::protocol
