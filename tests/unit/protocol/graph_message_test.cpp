// Microsoft Graph's mail answers without I/O: the message list, the error shape, dates,
// Retry-After, and the requests mailprobe builds.

#include "protocol/graph_message.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "probes/roundtrip_message.hpp"

namespace mailprobe::protocol::graph {
namespace {

// A list answer as Graph gives it for $select=id,subject,internetMessageId,
// receivedDateTime,internetMessageHeaders (shortened ids).
const std::string list_answer = R"json({
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('probe%40contoso.com')/mailFolders('inbox')/messages(id,subject,internetMessageId,receivedDateTime,internetMessageHeaders)",
  "value": [
    {"@odata.etag": "W/\"CQAAABYAAAA\"", "id": "AAMkAGI2TG93AAA=",
     "subject": "mailprobe delivery test 0a1b2c3d",
     "internetMessageId": "<mailprobe.0a1b@contoso.com>",
     "receivedDateTime": "2026-11-22T12:00:05Z",
     "internetMessageHeaders": [
       {"name": "Received", "value": "from a.example by b.example; Sun, 22 Nov 2026 12:00:05 +0000"},
       {"name": "X-Mailprobe-Probe", "value": "v1 id=0a1b sent=1 reply=a@b mac=00"},
       {"name": "Subject", "value": "line one\r\nX-Injected: no"},
       {"name": "Bad Name", "value": "left out"},
       {"name": 7, "value": "left out"}]},
    {"id": "AAMkAGI2TG94AAA=", "subject": null, "receivedDateTime": "2026-11-22T12:00:06.25Z"}
  ],
  "@odata.nextLink": "https://graph.microsoft.com/v1.0/users/probe%40contoso.com/mailFolders/inbox/messages?%24skip=50"
})json";

TEST(GraphMessages, ParsesAListWithHeadersAsAHeaderBlock) {
  auto page = parse_message_page(list_answer);
  ASSERT_TRUE(page) << page.failure().message;
  ASSERT_EQ(page->messages.size(), 2u);
  const auto& first = page->messages[0];
  EXPECT_EQ(first.id, "AAMkAGI2TG93AAA=");
  EXPECT_EQ(first.subject, "mailprobe delivery test 0a1b2c3d");
  EXPECT_EQ(first.internet_message_id, "<mailprobe.0a1b@contoso.com>");
  EXPECT_EQ(first.received_ms, 1795348805000);
  // The round trip reads the token from the block as from a message.
  EXPECT_EQ(probes::header_value(first.headers, "X-Mailprobe-Probe"),
            "v1 id=0a1b sent=1 reply=a@b mac=00");
  // A line break in a value cannot make a header of its own; unusable names are left out.
  EXPECT_FALSE(probes::header_value(first.headers, "X-Injected"));
  EXPECT_EQ(first.headers.find("Bad Name"), std::string::npos);
  EXPECT_EQ(first.headers.find("left out"), std::string::npos);
  const auto& second = page->messages[1];
  EXPECT_EQ(second.subject, "");
  EXPECT_EQ(second.headers, "");
  EXPECT_EQ(second.received_ms, 1795348806250);
  EXPECT_EQ(page->next_link,
            "https://graph.microsoft.com/v1.0/users/probe%40contoso.com/mailFolders/inbox/"
            "messages?%24skip=50");
}

TEST(GraphMessages, AnEmptyListIsTheLastPage) {
  auto page = parse_message_page(R"({"@odata.context":"x","value":[]})");
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->messages.empty());
  EXPECT_TRUE(page->next_link.empty());
}

TEST(GraphMessages, RefusesWhatIsNoMessageList) {
  struct Case {
    std::string body;
    std::string says;
  };
  for (const auto& [body, says] : std::vector<Case>{
           {"", "malformed JSON"},
           {"<html>502</html>", "malformed JSON in the message list: '<html>502</html>'"},
           {"[]", "not a JSON object"},
           {R"({"values":[]})", "no \"value\" array"},
           {R"({"value":[1]})", "message 1 of the list is not a JSON object"},
           {R"({"value":[{"subject":"x"}]})", "message 1 of the list has no id"},
           {R"({"value":[{"id":"a","subject":5}]})", "is no string"},
           {R"({"value":[{"id":"a","receivedDateTime":"yesterday"}]})", "is not a date"},
           {R"({"value":[{"id":"a","internetMessageHeaders":{}}]})", "is no list"},
           {R"({"value":[],"@odata.nextLink":5})", "nextLink is not a string"},
       }) {
    auto page = parse_message_page(body);
    ASSERT_FALSE(page) << body;
    EXPECT_EQ(page.failure().phase, "graph");
    EXPECT_EQ(page.failure().kind, core::FailureKind::protocol);
    EXPECT_NE(page.failure().message.find(says), std::string::npos) << page.failure().message;
  }
}

TEST(GraphMessages, BoundsThePageAndTheNesting) {
  std::string many = R"({"value":[)";
  for (std::size_t i = 0; i <= max_page_messages; ++i)
    many += std::string(i == 0 ? "" : ",") + R"({"id":"x"})";
  many += "]}";
  auto page = parse_message_page(many);
  ASSERT_FALSE(page);
  EXPECT_NE(page.failure().message.find("more than the 1000"), std::string::npos);
  auto deep = std::string(10000, '[') + std::string(10000, ']');
  EXPECT_FALSE(parse_message_page(deep));
}

TEST(GraphErrors, ParsesGraphsErrorShape) {
  auto body =
      R"({"error":{"code":"ErrorAccessDenied","message":"Access is denied. Check credentials and try again.","innerError":{"date":"2026-11-22T12:00:00","request-id":"9a1c","client-request-id":"9a1c"}}})";
  auto error = parse_error(body);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "ErrorAccessDenied");
  EXPECT_EQ(describe_error(403, "Forbidden", body),
            "403 ErrorAccessDenied (Access is denied. Check credentials and try again.)");
  // The first line of a long message; no error body: the HTTP reason.
  EXPECT_EQ(
      describe_error(
          401, "Unauthorized",
          R"({"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed.\r\nTrace: 1"}})"),
      "401 InvalidAuthenticationToken (Lifetime validation failed.)");
  EXPECT_EQ(describe_error(502, "Bad Gateway", "<html>upstream</html>"), "502 Bad Gateway");
  EXPECT_EQ(describe_error(404, "Not Found", R"({"error":{"code":"ErrorInvalidUser"}})"),
            "404 ErrorInvalidUser");
  EXPECT_FALSE(parse_error(R"({"error":"invalid_grant"})"));
  EXPECT_FALSE(parse_error(R"({"error":{"message":"no code"}})"));
  EXPECT_FALSE(parse_error("not json"));
}

TEST(GraphDates, ParsesDateTimeOffsets) {
  EXPECT_EQ(parse_date_time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_date_time("2026-11-22T12:00:05Z"), 1795348805000);
  EXPECT_EQ(parse_date_time("2026-11-22T12:00:05.1234567Z"), 1795348805123);
  EXPECT_EQ(parse_date_time("2026-11-22T13:00:05+01:00"), 1795348805000);
  EXPECT_EQ(parse_date_time("2026-11-22T11:30:05-00:30"), 1795348805000);
  for (const auto* bad : {"", "2026-11-22", "2026-11-22T12:00:05", "2026-11-22 12:00:05Z",
                          "2026-02-30T12:00:05Z", "2026-11-22T12:00:05.Z", "2026-11-22T12:00:05+1",
                          "2026-11-22T12:00:05+25:00", "2026-11-22T12:00:05ZZ"}) {
    EXPECT_FALSE(parse_date_time(bad)) << bad;
  }
  EXPECT_EQ(format_date_time(1795348805999), "2026-11-22T12:00:05Z");
  EXPECT_EQ(format_date_time(0), "1970-01-01T00:00:00Z");
}

TEST(GraphRetryAfter, ReadsSecondsAndHttpDates) {
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(784111777));
  EXPECT_EQ(parse_retry_after("30", now), 30.0);
  EXPECT_EQ(parse_retry_after(" 0 ", now), 0.0);
  // RFC 9110 section 5.6.7's example date, 20 s after `now`; one in the past is no wait.
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:57 GMT", now), 20.0);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), 0.0);
  // Found by fuzzing: a date centuries ahead overflowed the clock's nanoseconds.
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), 253402300799.0 - 784111777);
  for (const auto* bad : {"", "-1", "1.5", "soon", "9999999999", "Sun, 06 Nov 1994 08:49:57 CET",
                          "Sun, 06 Foo 1994 08:49:57 GMT"}) {
    EXPECT_FALSE(parse_retry_after(bad, now)) << bad;
  }
}

TEST(GraphRequests, QuotesAndEncodes) {
  EXPECT_EQ(odata_string("it's"), "'it''s'");
  EXPECT_EQ(percent_encode("probe@contoso.com"), "probe%40contoso.com");
  EXPECT_EQ(percent_encode("a b/c?d=e&f'g(h)"), "a%20b%2Fc%3Fd%3De%26f%27g%28h%29");
  EXPECT_EQ(percent_encode("AAMk-_.~="), "AAMk-_.~%3D");
}

TEST(GraphRequests, BuildsTheSendMailBody) {
  OutgoingMessage message;
  message.from = "monitor@contoso.com";
  message.to = {"probe@contoso.com"};
  message.subject = "mailprobe delivery test \"1\"";
  message.body = "line\r\n";
  message.headers = {{"X-Mailprobe-Probe", "v1 id=1"}};
  auto body = boost::json::parse(send_mail_body(message));
  EXPECT_EQ(body, boost::json::parse(R"({"message":{
      "subject":"mailprobe delivery test \"1\"",
      "body":{"contentType":"Text","content":"line\r\n"},
      "from":{"emailAddress":{"address":"monitor@contoso.com"}},
      "toRecipients":[{"emailAddress":{"address":"probe@contoso.com"}}],
      "internetMessageHeaders":[{"name":"X-Mailprobe-Probe","value":"v1 id=1"}]},
    "saveToSentItems":false})"));
}

}  // namespace
}  // namespace mailprobe::protocol::graph
