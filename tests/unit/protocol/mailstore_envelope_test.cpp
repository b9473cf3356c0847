// The MailStore API's answers without I/O: BOM, envelope, error envelopes, results.

#include "protocol/mailstore_envelope.hpp"

#include <gtest/gtest.h>

#include "protocol/mailstore_api.hpp"

namespace mailprobe::protocol::mailstore {
namespace {

const std::string bom = "\xEF\xBB\xBF";

TEST(MailstoreEnvelope, StripsTheByteOrderMarkOnlyAtTheStart) {
  EXPECT_EQ(strip_bom(bom + "{}"), "{}");
  EXPECT_EQ(strip_bom("{}"), "{}");
  EXPECT_EQ(strip_bom("\xEF\xBB"), "\xEF\xBB");
  EXPECT_EQ(strip_bom(" " + bom), " " + bom);
}

TEST(MailstoreEnvelope, ParsesASucceededAnswerWithBom) {
  auto envelope = parse_envelope(
      bom + R"({"error":null,"token":null,"statusVersion":2,"statusCode":"succeeded",)"
            R"("percentProgress":null,"statusText":null,"result":[{"id":1}],"logOutput":null})");
  ASSERT_TRUE(envelope) << envelope.failure().message;
  EXPECT_EQ(envelope->status_code, "succeeded");
  EXPECT_FALSE(envelope->running());
  EXPECT_FALSE(envelope->error);
  EXPECT_FALSE(envelope->token);
  EXPECT_EQ(envelope->status_version, 2);
  ASSERT_TRUE(envelope->result.is_array());
  EXPECT_EQ(envelope->result.as_array().size(), 1u);
}

TEST(MailstoreEnvelope, ParsesARunningAnswerWithItsToken) {
  auto envelope = parse_envelope(
      R"({"error":null,"token":"a1b2","statusVersion":1,"statusCode":"running",)"
      R"("percentProgress":10,"statusText":"Working","result":null,"logOutput":null})");
  ASSERT_TRUE(envelope);
  EXPECT_TRUE(envelope->running());
  EXPECT_EQ(envelope->token, "a1b2");
  EXPECT_EQ(envelope->status_text, "Working");
  auto no_token = parse_envelope(R"({"statusCode":"running","statusVersion":1})");
  ASSERT_FALSE(no_token);
  EXPECT_NE(no_token.failure().message.find("no token"), std::string::npos);
}

TEST(MailstoreEnvelope, ParsesAnErrorEnvelope) {
  auto envelope = parse_envelope(
      bom +
      R"({"error":{"message":"Argument fromIncluding is missing.",)"
      R"("details":"System.ArgumentException: Argument fromIncluding is missing.\r\n   at X"},)"
      R"("token":null,"statusVersion":2,"statusCode":"failed","result":null})");
  ASSERT_TRUE(envelope);
  ASSERT_TRUE(envelope->error);
  EXPECT_EQ(envelope->error->message, "Argument fromIncluding is missing.");
  EXPECT_EQ(describe_error(*envelope->error),
            "Argument fromIncluding is missing. (System.ArgumentException: Argument "
            "fromIncluding is missing.)");
  EXPECT_EQ(describe_error(ApiError{"m", "m"}), "m");
}

TEST(MailstoreEnvelope, MalformedAnswersAreProtocolFailuresQuotingTheStart) {
  for (const std::string& body :
       {std::string(""), bom, std::string("{\"statusCode\":\"succ"), std::string("<html>"),
        std::string("[1,2]"), std::string("{\"result\":1}"), std::string("{\"statusCode\":5}"),
        std::string("{\"statusCode\":\"running\",\"token\":7}"),
        std::string("{\"statusCode\":\"succeeded\",\"statusVersion\":\"x\"}")}) {
    auto envelope = parse_envelope(body);
    ASSERT_FALSE(envelope) << body;
    EXPECT_EQ(envelope.failure().kind, core::FailureKind::protocol) << body;
  }
  auto html = parse_envelope("<html><body>Service Unavailable</body></html>");
  EXPECT_NE(html.failure().message.find("'<html><body>Service Unavailable"), std::string::npos)
      << html.failure().message;
}

TEST(MailstoreEnvelope, DeepNestingIsRefused) {
  std::string deep(10000, '[');
  EXPECT_FALSE(parse_json(deep));
}

TEST(MailstoreEnvelope, FormEncodingLeavesOutEmptyArguments) {
  Arguments arguments;
  arguments.emplace_back("fromIncluding", "2013-01-01T00:00:00");
  arguments.emplace_back("toExcluding", "2013-02-28T23:59:59");
  arguments.emplace_back("timeZoneID", "W. Europe Standard Time");
  arguments.emplace_back("profileID", "");
  arguments.emplace_back("userName", "j&d=e+x");
  EXPECT_EQ(form_encode(arguments),
            "fromIncluding=2013-01-01T00%3A00%3A00&toExcluding=2013-02-28T23%3A59%3A59&"
            "timeZoneID=W.%20Europe%20Standard%20Time&userName=j%26d%3De%2Bx");
  EXPECT_EQ(form_encode({}), "");
  Arguments local;
  local.emplace_back("timeZoneID", "$Local");
  EXPECT_EQ(form_encode(local), "timeZoneID=%24Local");
}

TEST(MailstoreEnvelope, ParsesWorkerResultsOfTheIssue) {
  auto value = parse_json(
      R"([{"id":419935,"userName":"admin","profileId":33,"profileName":"Microsoft 365 Mailboxes",)"
      R"("result":"completedWithErrors","itemsArchived":4,"startTime":"2026-04-03T21:26:48",)"
      R"("completeTime":"2026-04-03T21:34:24","machineName":"VMTECHMSS"},)"
      R"({"id":2,"userName":null,"profileId":null,"result":"failed","itemsArchived":null}])");
  ASSERT_TRUE(value);
  auto jobs = parse_worker_results(*value);
  ASSERT_TRUE(jobs) << jobs.failure().message;
  ASSERT_EQ(jobs->size(), 2u);
  const auto& job = jobs->front();
  EXPECT_EQ(job.id, 419935);
  EXPECT_EQ(job.user_name, "admin");
  EXPECT_EQ(job.profile_id, 33);
  EXPECT_EQ(job.profile_name, "Microsoft 365 Mailboxes");
  EXPECT_EQ(job.result, "completedWithErrors");
  EXPECT_EQ(job.items_archived, 4);
  EXPECT_EQ(job.start_time, "2026-04-03T21:26:48");
  EXPECT_EQ(job.complete_time, "2026-04-03T21:34:24");
  EXPECT_EQ(job.machine_name, "VMTECHMSS");
  EXPECT_FALSE(jobs->back().profile_id);
  EXPECT_EQ(jobs->back().items_archived, 0);
  EXPECT_TRUE(parse_worker_results(boost::json::value(nullptr))->empty());
}

TEST(MailstoreEnvelope, RefusesWorkerResultsOfTheWrongShape) {
  for (const char* text : {R"({"id":1})", R"([1])", R"([{"id":1,"itemsArchived":-3}])",
                           R"([{"id":1,"itemsArchived":"many"}])", R"([{"id":1,"result":5}])"}) {
    auto value = parse_json(text);
    ASSERT_TRUE(value) << text;
    auto jobs = parse_worker_results(*value);
    ASSERT_FALSE(jobs) << text;
    EXPECT_EQ(jobs.failure().kind, core::FailureKind::protocol);
  }
}

TEST(MailstoreEnvelope, ParsesUsersLicenceAndMetadata) {
  auto users = parse_user_names(*parse_json(R"([{"userName":"admin"},{"userName":"jdoe"},"x"])"));
  ASSERT_TRUE(users);
  EXPECT_EQ(users->size(), 3u);
  EXPECT_EQ(users->at(1), "jdoe");
  auto license = parse_license_information(
      *parse_json(R"({"namedUsers":97,"maxNamedUsers":100,"productKey":"X"})"));
  ASSERT_TRUE(license);
  EXPECT_EQ(license->named_users, 97);
  EXPECT_EQ(license->max_named_users, 100);
  EXPECT_FALSE(parse_license_information(*parse_json(R"({"namedUsers":97})")));
  auto bare = parse_method_names(*parse_json(R"([{"name":"GetUsers","args":[]},{"name":"X"}])"));
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->size(), 2u);
  auto wrapped = parse_method_names(
      *parse_json(R"({"statusCode":"succeeded","result":[{"name":"GetLicenseInformation"}]})"));
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(wrapped->front(), "GetLicenseInformation");
  EXPECT_FALSE(parse_method_names(*parse_json(R"({"statusCode":"failed"})")));
}

TEST(MailstoreApi, NormalizesFingerprints) {
  std::string hex(64, 'a');
  EXPECT_EQ(normalize_fingerprint("SHA256:" + std::string(32, ' ') + hex), hex);
  std::string colons;
  std::string expected;
  for (int i = 0; i < 32; ++i) {
    colons += i == 0 ? "AB" : ":AB";
    expected += "ab";
  }
  EXPECT_EQ(normalize_fingerprint("sha256:" + colons), expected);
  EXPECT_FALSE(normalize_fingerprint("SHA256:abcd"));
  EXPECT_FALSE(normalize_fingerprint(std::string(64, 'g')));
  EXPECT_EQ(format_fingerprint("ab01"), "SHA256:AB:01");
}

}  // namespace
}  // namespace mailprobe::protocol::mailstore
