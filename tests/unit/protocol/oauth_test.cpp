// OAuth 2.0 pieces: base64url, RS256 JWTs checked with OpenSSL against the public key,
// service account key errors, token endpoint answers and errors, OAUTHBEARER and the
// error document of a refused token.

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>

#include "protocol/jwt.hpp"
#include "protocol/oauth_token.hpp"
#include "protocol/sasl.hpp"
#include "support/test_pki.hpp"

namespace mailprobe::protocol {
namespace {

namespace json = boost::json;

// An RSA key and a self-signed certificate for it, as PEM.
struct RsaPem {
  std::string key;
  std::string certificate;
};

RsaPem make_rsa() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  EXPECT_NE(key, nullptr);
  X509* certificate = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
  X509_set_pubkey(certificate, key);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("client"), -1, -1, 0);
  X509_set_issuer_name(certificate, name);
  X509_sign(certificate, key, EVP_sha256());
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return text;
  };
  RsaPem out{pem([&](BIO* bio) {
               PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
             }),
             pem([&](BIO* bio) { PEM_write_bio_X509(bio, certificate); })};
  X509_free(certificate);
  EVP_PKEY_free(key);
  return out;
}

const RsaPem& rsa() {
  static const RsaPem pem = make_rsa();
  return pem;
}

std::string write_file(const std::string& name, const std::string& text) {
  auto path = test::temp_directory() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Splits a JWT, checks its RS256 signature with the certificate's public key and returns
// header and claims.
std::pair<json::object, json::object> verify(const std::string& jwt, const std::string& cert_pem) {
  auto first = jwt.find('.');
  auto second = jwt.find('.', first + 1);
  EXPECT_NE(second, std::string::npos);
  auto signature = base64url_decode(jwt.substr(second + 1));
  EXPECT_TRUE(signature);
  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, X509_get0_pubkey(certificate));
  auto input = jwt.substr(0, second);
  int verified = EVP_DigestVerify(
      context, reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
      reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(context);
  X509_free(certificate);
  EXPECT_EQ(verified, 1) << "RS256 signature does not verify";
  auto header = base64url_decode(jwt.substr(0, first));
  auto claims = base64url_decode(jwt.substr(first + 1, second - first - 1));
  EXPECT_TRUE(header && claims);
  return {json::parse(*header).as_object(), json::parse(*claims).as_object()};
}

TEST(Base64Url, EncodesWithoutPaddingInTheUrlAlphabet) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  // RFC 4648 section 5: 62 and 63 are '-' and '_'.
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(base64url_decode("-_-_"), std::string("\xfb\xff\xbf"));
  EXPECT_EQ(base64url_decode("Zm8"), "fo");
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_FALSE(base64url_decode("Zm8="));  // padding is not base64url of JWTs
  EXPECT_FALSE(base64url_decode("+/+/"));
  EXPECT_FALSE(base64url_decode("Z"));
}

TEST(Jwt, ClientAssertionIsSignedRs256WithThumbprints) {
  auto key_file = write_file("client.key", rsa().key);
  auto cert_file = write_file("client.pem", rsa().certificate);
  auto key = load_signing_key(key_file, cert_file);
  ASSERT_TRUE(key) << key.failure().message;
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  auto url = "https://login.microsoftonline.com/contoso/oauth2/v2.0/token";
  auto jwt = client_assertion(*key, "app-cert", url, now, "id-1");
  ASSERT_TRUE(jwt) << jwt.failure().message;
  auto [header, claims] = verify(*jwt, rsa().certificate);
  EXPECT_EQ(header.at("alg"), "RS256");
  EXPECT_EQ(header.at("typ"), "JWT");
  // x5t#S256 is the certificate's SHA-256 digest: 32 bytes, 43 base64url characters.
  EXPECT_EQ(header.at("x5t#S256").as_string().size(), 43U);
  EXPECT_EQ(header.at("x5t").as_string().size(), 27U);
  EXPECT_EQ(claims.at("iss"), "app-cert");
  EXPECT_EQ(claims.at("sub"), "app-cert");
  EXPECT_EQ(claims.at("aud"), url);
  EXPECT_EQ(claims.at("jti"), "id-1");
  EXPECT_EQ(claims.at("iat").as_int64(), 1700000000);
  EXPECT_EQ(claims.at("nbf").as_int64(), 1700000000);
  EXPECT_EQ(claims.at("exp").as_int64(), 1700000300);
  EXPECT_NE(random_jwt_id(), random_jwt_id());
}

TEST(Jwt, ServiceAccountAssertionNamesTheMailboxAndScope) {
  auto key = signing_key_from_pem(rsa().key, "the key");
  ASSERT_TRUE(key) << key.failure().message;
  key->key_id = "key-id-1";
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  auto jwt = service_account_assertion(*key, "sa@p.iam.gserviceaccount.com", "probe@example.org",
                                       "https://mail.google.com/",
                                       "https://oauth2.googleapis.com/token", now);
  ASSERT_TRUE(jwt) << jwt.failure().message;
  auto [header, claims] = verify(*jwt, rsa().certificate);
  EXPECT_EQ(header.at("kid"), "key-id-1");
  EXPECT_FALSE(header.contains("x5t"));
  EXPECT_EQ(claims.at("iss"), "sa@p.iam.gserviceaccount.com");
  EXPECT_EQ(claims.at("sub"), "probe@example.org");
  EXPECT_EQ(claims.at("scope"), "https://mail.google.com/");
  EXPECT_EQ(claims.at("aud"), "https://oauth2.googleapis.com/token");
  EXPECT_EQ(claims.at("exp").as_int64() - claims.at("iat").as_int64(), 3600);
}

TEST(Jwt, KeyProblemsNameTheFile) {
  test::TestPki pki;
  auto other = pki.issue("other", {"DNS:other"});
  auto ec_key = write_file("ec.key", other.key);
  auto failure = load_signing_key(ec_key);
  ASSERT_FALSE(failure);
  EXPECT_EQ(failure.failure().message, ec_key + ": not an RSA key (RS256 signs with RSA)");
  EXPECT_EQ(failure.failure().kind, core::FailureKind::config);

  auto key_file = write_file("client.key", rsa().key);
  auto wrong_cert = write_file("other.pem", other.certificate);
  auto mismatch = load_signing_key(key_file, wrong_cert);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.failure().message,
            wrong_cert + ": the certificate is not the one of the key in " + key_file);

  auto garbage = write_file("garbage.key", "not a key\n");
  auto unreadable = load_signing_key(garbage);
  ASSERT_FALSE(unreadable);
  EXPECT_NE(unreadable.failure().message.find(garbage + ": no PEM private key"), std::string::npos);
  auto missing = load_signing_key("/nonexistent/key.pem");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.failure().message, "cannot read private key file '/nonexistent/key.pem'");

  // Key and certificate in one file work as the key file.
  auto both = write_file("both.pem", rsa().certificate + rsa().key);
  auto combined = load_signing_key(both, both);
  ASSERT_TRUE(combined) << combined.failure().message;
  EXPECT_FALSE(combined->x5t_s256.empty());
}

TEST(ServiceAccount, ParsesGooglesKeyAndSaysWhatIsWrong) {
  json::object key{{"type", "service_account"},
                   {"project_id", "p"},
                   {"private_key_id", "abc"},
                   {"private_key", rsa().key},
                   {"client_email", "sa@p.iam.gserviceaccount.com"},
                   {"token_uri", "https://localhost:1/token"}};
  auto parsed = parse_service_account(json::serialize(key), "sa.json");
  ASSERT_TRUE(parsed) << parsed.failure().message;
  EXPECT_EQ(parsed->client_email, "sa@p.iam.gserviceaccount.com");
  EXPECT_EQ(parsed->private_key_id, "abc");
  EXPECT_EQ(parsed->token_uri, "https://localhost:1/token");
  key.erase("token_uri");
  EXPECT_EQ(parse_service_account(json::serialize(key), "sa.json")->token_uri,
            "https://oauth2.googleapis.com/token");

  auto message = [](std::string_view text) {
    auto outcome = parse_service_account(text, "sa.json");
    return outcome ? std::string("parsed") : outcome.failure().message;
  };
  EXPECT_EQ(message("{"), "service account key sa.json: not JSON (incomplete JSON)");
  EXPECT_EQ(message("[]"), "service account key sa.json: not a JSON object");
  EXPECT_EQ(message(R"({"type":"authorized_user"})"),
            "service account key sa.json: \"type\" is \"authorized_user\", not "
            "\"service_account\" (create a key for a service account: IAM, Service accounts, "
            "Keys, Add key, JSON)");
  // A value out of the file stays on the one line of the output, and short.
  EXPECT_EQ(message(R"({"type":"user\r\nCRITICAL\u0007"})"),
            "service account key sa.json: \"type\" is \"user  CRITICAL \", not "
            "\"service_account\" (create a key for a service account: IAM, Service accounts, "
            "Keys, Add key, JSON)");
  EXPECT_EQ(message("{\"type\":\"" + std::string(100, 'x') + "\"}")
                .rfind("service account key sa.json: \"type\" is \"" + std::string(40, 'x') +
                           "...\", not",
                       0),
            0U);
  key.erase("client_email");
  EXPECT_EQ(message(json::serialize(key)),
            "service account key sa.json: no \"client_email\" string");
}

HttpAnswer answer(unsigned status, std::string body) {
  HttpAnswer a;
  a.status = status;
  a.reason = status == 200 ? "OK" : status == 401 ? "Unauthorized" : "Bad Request";
  a.body = std::move(body);
  return a;
}

TEST(TokenAnswer, SuccessGivesTokenLifetimeAndRotatedRefreshToken) {
  auto parsed = parse_token_answer(
      answer(200, R"({"access_token":"eyJ.a.b","token_type":"Bearer","expires_in":3599,)"
                  R"("refresh_token":"new-rt","scope":"s"})"),
      "login.microsoftonline.com");
  ASSERT_TRUE(parsed) << parsed.failure().message;
  EXPECT_EQ(parsed->access_token, "eyJ.a.b");
  EXPECT_EQ(parsed->expires_in, 3599);
  EXPECT_EQ(parsed->refresh_token, "new-rt");
  // Entra ID v1 sends the lifetime as a string.
  auto v1 = parse_token_answer(
      answer(200, R"({"access_token":"t","token_type":"bearer","expires_in":"3600"})"), "h");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->expires_in, 3600);
  auto mac = parse_token_answer(answer(200, R"({"access_token":"t","token_type":"mac"})"), "h");
  ASSERT_FALSE(mac);
  EXPECT_EQ(mac.failure().message, "token endpoint h: token_type 'mac', not Bearer");
  auto empty = parse_token_answer(answer(200, R"({"token_type":"Bearer"})"), "h");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.failure().kind, core::FailureKind::protocol);
}

TEST(TokenAnswer, ErrorsGiveCodeAndFirstLineOfTheDescription) {
  auto entra = parse_token_answer(
      answer(401,
             R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client )"
             R"(secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215]})"),
      "login.microsoftonline.com");
  ASSERT_FALSE(entra);
  EXPECT_EQ(entra.failure().phase, "token");
  EXPECT_EQ(entra.failure().kind, core::FailureKind::rejected);
  EXPECT_EQ(entra.failure().message,
            "token endpoint login.microsoftonline.com: invalid_client (AADSTS7000215: Invalid "
            "client secret provided.)");
  auto google = parse_token_answer(
      answer(400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})"),
      "oauth2.googleapis.com");
  ASSERT_FALSE(google);
  EXPECT_EQ(google.failure().message,
            "token endpoint oauth2.googleapis.com: invalid_grant (Invalid JWT Signature.)");
  auto codes_only =
      parse_token_answer(answer(400, R"({"error":"invalid_scope","error_codes":[70011]})"), "h");
  EXPECT_EQ(codes_only.failure().message, "token endpoint h: invalid_scope (AADSTS70011)");
  auto bare = parse_token_answer(answer(400, R"({"error":"invalid_request"})"), "h");
  EXPECT_EQ(bare.failure().message, "token endpoint h: invalid_request (HTTP 400 Bad Request)");
  auto html = answer(502, "<html><body>Bad gateway</body></html>");
  html.reason = "Bad Gateway";
  auto not_json = parse_token_answer(html, "h");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.failure().kind, core::FailureKind::protocol);
  EXPECT_EQ(not_json.failure().message,
            "token endpoint h: HTTP 502 Bad Gateway with '<html><body>Bad gateway</body></html>' "
            "where a JSON object was expected");
}

TEST(TokenForm, PercentEncodesAndRedactsSecrets) {
  auto form = client_secret_form("app id", "s3cret&=+", "https://outlook.office365.com/.default");
  EXPECT_EQ(form_encode(form),
            "grant_type=client_credentials&client_id=app%20id&client_secret=s3cret%26%3D%2B&"
            "scope=https%3A%2F%2Foutlook.office365.com%2F.default");
  auto shown = form_for_transcript(form);
  EXPECT_EQ(shown.find("s3cret"), std::string::npos);
  EXPECT_NE(shown.find("client_secret=<redacted>"), std::string::npos);
  auto refresh = form_for_transcript(refresh_token_form("app", "", "rt-value", ""));
  EXPECT_EQ(refresh, "grant_type=refresh_token&client_id=app&refresh_token=<redacted>");
  EXPECT_EQ(
      form_for_transcript(jwt_bearer_form("eyJ.x.y")),
      "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=<redacted>");
}

TEST(SaslBearer, OauthbearerFollowsRfc7628) {
  Credentials credentials{"probe,x=y@example.org", "tok", true, "imap.example.org", 993};
  auto decoded = base64_decode(sasl_oauthbearer(credentials));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded,
            "n,a=probe=2Cx=3Dy@example.org,\x01host=imap.example.org\x01port=993\x01"
            "auth=Bearer tok\x01\x01");
  EXPECT_EQ(base64_decode(sasl_xoauth2(credentials)),
            "user=probe,x=y@example.org\x01"
            "auth=Bearer tok\x01\x01");
  EXPECT_EQ(choose_bearer_mechanism({"PLAIN", "XOAUTH2", "OAUTHBEARER"}), "OAUTHBEARER");
  EXPECT_EQ(choose_bearer_mechanism({"plain", "xoauth2"}), "XOAUTH2");
  EXPECT_EQ(choose_bearer_mechanism({"PLAIN"}), std::nullopt);
  EXPECT_EQ(bearer_failure_response("OAUTHBEARER"), "AQ==");
  EXPECT_EQ(bearer_failure_response("XOAUTH2"), "");
}

TEST(SaslBearer, ErrorDocumentIsToldInWords) {
  auto document = base64_encode(
      R"({"status":"invalid_token","scope":"https://mail.google.com/","schemes":"bearer"})");
  EXPECT_EQ(describe_bearer_failure(document),
            "token refused: status invalid_token, scope https://mail.google.com/, schemes bearer");
  // Gmail's XOAUTH2 document has the HTTP status.
  EXPECT_EQ(describe_bearer_failure(base64_encode(R"({"status":"401","schemes":"Bearer"})")),
            "token refused: status 401, schemes Bearer");
  EXPECT_EQ(describe_bearer_failure("not base64!"), "");
  EXPECT_EQ(describe_bearer_failure(base64_encode("[1,2]")), "");
  EXPECT_EQ(describe_bearer_failure(base64_encode(R"({"status":"a\nb"})")),
            "token refused: status a b");
}

}  // namespace
}  // namespace mailprobe::protocol
