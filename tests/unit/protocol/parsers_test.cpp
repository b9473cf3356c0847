// The I/O-free parsers of server replies, table-tested.

#include <gtest/gtest.h>

#include "protocol/imap_parse.hpp"
#include "protocol/pop3_client.hpp"
#include "protocol/redact.hpp"
#include "protocol/sasl.hpp"
#include "protocol/smtp_reply.hpp"

namespace mailprobe::protocol {
namespace {

TEST(SmtpReplyLine, Forms) {
  auto last = parse_smtp_reply_line("250 OK");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->code, 250);
  EXPECT_TRUE(last->last);
  EXPECT_EQ(last->text, "OK");
  auto more = parse_smtp_reply_line("250-PIPELINING");
  ASSERT_TRUE(more);
  EXPECT_FALSE(more->last);
  auto bare = parse_smtp_reply_line("354");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->code, 354);
  EXPECT_TRUE(bare->last);
}

TEST(SmtpReplyLine, RejectsWhatIsNotAReply) {
  for (const char* bad : {"", "25", "2x0 ok", "250x", "650 six", "HTTP/1.1 200 OK", "* OK imap"}) {
    EXPECT_FALSE(parse_smtp_reply_line(bad)) << bad;
  }
}

TEST(SmtpReplyParser, MultiLineReplyAndCapabilities) {
  SmtpReplyParser parser;
  EXPECT_EQ(parser.feed("250-mail.example.test"), SmtpReplyParser::Status::more);
  EXPECT_EQ(parser.feed("250-PIPELINING"), SmtpReplyParser::Status::more);
  EXPECT_EQ(parser.feed("250-starttls"), SmtpReplyParser::Status::more);
  EXPECT_EQ(parser.feed("250-AUTH PLAIN login"), SmtpReplyParser::Status::more);
  EXPECT_EQ(parser.feed("250-AUTH=LOGIN XOAUTH2"), SmtpReplyParser::Status::more);
  EXPECT_EQ(parser.feed("250 8BITMIME"), SmtpReplyParser::Status::complete);
  auto caps = parse_ehlo(parser.reply());
  EXPECT_TRUE(caps.has("STARTTLS"));
  EXPECT_TRUE(caps.has("8BITMIME"));
  EXPECT_FALSE(caps.has("MAIL.EXAMPLE.TEST"));
  EXPECT_EQ(caps.auth_methods, (std::vector<std::string>{"PLAIN", "LOGIN", "XOAUTH2"}));
  EXPECT_TRUE(caps.offers_auth("login"));
}

TEST(SmtpReplyParser, CodeMustNotChangeWithinAReply) {
  SmtpReplyParser parser;
  EXPECT_EQ(parser.feed("250-one"), SmtpReplyParser::Status::more);
  EXPECT_EQ(parser.feed("550 two"), SmtpReplyParser::Status::malformed);
  EXPECT_EQ(parser.error(), "reply code changed from 250 to 550 within one reply");
}

TEST(SmtpReplyParser, IsBoundedInLines) {
  SmtpReplyParser parser(3);
  EXPECT_EQ(parser.feed("250-a"), SmtpReplyParser::Status::more);
  EXPECT_EQ(parser.feed("250-b"), SmtpReplyParser::Status::more);
  EXPECT_EQ(parser.feed("250-c"), SmtpReplyParser::Status::more);
  EXPECT_EQ(parser.feed("250-d"), SmtpReplyParser::Status::malformed);
  EXPECT_EQ(parser.error(), "reply longer than 3 lines");
}

TEST(Pop3Status, Forms) {
  auto ok = parse_pop3_status("+OK Dovecot ready.");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->ok());
  EXPECT_EQ(ok->text, "Dovecot ready.");
  auto err = parse_pop3_status("-ERR [AUTH] Authentication failed.");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, Pop3Status::Kind::error);
  auto go = parse_pop3_status("+ ");
  ASSERT_TRUE(go);
  EXPECT_EQ(go->kind, Pop3Status::Kind::continuation);
  EXPECT_TRUE(parse_pop3_status("+OK"));
  EXPECT_FALSE(parse_pop3_status("+OKAY"));
  EXPECT_FALSE(parse_pop3_status("* OK imap"));
  EXPECT_FALSE(parse_pop3_status(""));
}

TEST(ImapLine, UntaggedTaggedAndContinuation) {
  auto greeting = parse_imap_line("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Dovecot ready.");
  ASSERT_TRUE(greeting);
  EXPECT_EQ(greeting->kind, ImapResponse::Kind::untagged);
  EXPECT_EQ(greeting->status, "OK");
  EXPECT_EQ(greeting->code, "CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN");
  EXPECT_EQ(greeting->text, "Dovecot ready.");

  auto data = parse_imap_line("* 3 EXISTS");
  ASSERT_TRUE(data);
  EXPECT_EQ(data->status, "");
  EXPECT_EQ(data->text, "3 EXISTS");

  auto done = parse_imap_line("mp1 no [AUTHENTICATIONFAILED] Authentication failed.");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, ImapResponse::Kind::tagged);
  EXPECT_EQ(done->tag, "mp1");
  EXPECT_EQ(done->status, "NO");
  EXPECT_EQ(done->code, "AUTHENTICATIONFAILED");

  auto go = parse_imap_line("+ idling");
  ASSERT_TRUE(go);
  EXPECT_EQ(go->kind, ImapResponse::Kind::continuation);
  EXPECT_EQ(go->text, "idling");
}

TEST(ImapLine, RejectsGarbage) {
  for (const char* bad : {"", "garbage", "mp1 MAYBE later", "220 smtp.example ESMTP",
                          "mp1 BYE tagged bye is wrong", "(x) OK"}) {
    EXPECT_FALSE(parse_imap_line(bad)) << bad;
  }
}

TEST(ImapLine, Literals) {
  EXPECT_EQ(trailing_literal_size("* 1 FETCH (BODY[] {42}"), 42u);
  EXPECT_EQ(trailing_literal_size("a LOGIN {5+}"), 5u);
  EXPECT_FALSE(trailing_literal_size("* OK {x}"));
  EXPECT_FALSE(trailing_literal_size("* OK {}"));
  EXPECT_FALSE(trailing_literal_size("* OK {99999999999999999999}"));
  EXPECT_FALSE(trailing_literal_size("* OK no literal"));
}

TEST(ImapQuote, EscapesOrAsksForALiteral) {
  EXPECT_EQ(imap_quote("user@example.test"), "\"user@example.test\"");
  EXPECT_EQ(imap_quote(R"(odd pa"ss\word)"), R"("odd pa\"ss\\word")");
  EXPECT_FALSE(imap_quote("line\r\nbreak"));
  EXPECT_FALSE(imap_quote("p\xc3\xa4ss"));
}

TEST(ImapCapabilities, UpperCasedAtoms) {
  EXPECT_EQ(parse_capability_list("CAPABILITY IMAP4rev1  SASL-IR idle AUTH=PLAIN"),
            (std::vector<std::string>{"IMAP4REV1", "SASL-IR", "IDLE", "AUTH=PLAIN"}));
}

TEST(Sasl, PlainAndXoauth2AndBase64) {
  EXPECT_EQ(sasl_plain({"tim", "tanstaaftanstaaf"}), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");  // RFC 4616
  EXPECT_EQ(base64_decode(sasl_xoauth2({"u@x", "tok"})), std::string("user=u@x\x01"
                                                                     "auth=Bearer tok\x01\x01"));
  EXPECT_EQ(base64_encode("a"), "YQ==");
  EXPECT_EQ(base64_decode("YQ=="), "a");
  EXPECT_EQ(base64_decode("YWI="), "ab");
  EXPECT_FALSE(base64_decode("abc"));
  EXPECT_FALSE(base64_decode("a!c="));
}

}  // namespace
}  // namespace mailprobe::protocol

namespace mailprobe::protocol {
namespace {

TEST(Redact, SecretsOfSendStringsNeverReachTheTranscript) {
  EXPECT_EQ(redact_client_data("USER u@x\r\nPASS s3cret\r\n"), "USER u@x\r\nPASS <redacted>\r\n");
  EXPECT_EQ(redact_client_data("pr01 LOGIN u@x s3cret\r\n"), "pr01 LOGIN u@x <redacted>\r\n");
  EXPECT_EQ(redact_client_data("a AUTHENTICATE PLAIN AHUAcw==\r\n"),
            "a AUTHENTICATE PLAIN <redacted>\r\n");
  EXPECT_EQ(redact_client_data("AUTH LOGIN\r\ndXNlcg==\r\nczNjcmV0\r\n"),
            "AUTH LOGIN\r\n<redacted>\r\n<redacted>\r\n");
  // Without -E the escapes are sent as text; they still separate what a reader sees.
  EXPECT_EQ(redact_client_data(R"(USER u@x\r\nPASS s3cret\r\n)"),
            R"(USER u@x\r\nPASS <redacted>\r\n)");
  EXPECT_EQ(redact_client_data("NOOP\r\n"), "NOOP\r\n");
}

}  // namespace
}  // namespace mailprobe::protocol
