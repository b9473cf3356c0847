// RFC 6376 section 3.2 tag=value lists, the syntax of DKIM key records and (RFC 7489
// section 6.4) DMARC records. Error strings are asserted: check_mail_domain shows them.

#include "protocol/tag_list.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mailprobe::protocol {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs pairs_of(const TagList& list) {
  Pairs out;
  for (const auto& tag : list.tags)
    out.emplace_back(tag.name, tag.value);
  return out;
}

TEST(TagList, ValidLists) {
  struct Case {
    std::string text;
    Pairs tags;
  };
  const Case cases[] = {
      {"v=DKIM1; k=rsa; p=MIGf", {{"v", "DKIM1"}, {"k", "rsa"}, {"p", "MIGf"}}},
      {"v=DKIM1;k=rsa;p=MIGf;", {{"v", "DKIM1"}, {"k", "rsa"}, {"p", "MIGf"}}},
      // FWS around names, '=' and values; a trailing ';' and white space after it.
      {" v = DMARC1 ;\tp =  reject ; ", {{"v", "DMARC1"}, {"p", "reject"}}},
      // Folded lines (CRLF followed by WSP) are FWS, also inside a value.
      {"p=MIGf\r\n MA0G;\r\n\tt=y", {{"p", "MIGf\r\n MA0G"}, {"t", "y"}}},
      // Empty values; values with inner spaces; every VALCHAR, '=' included.
      {"p=; n=a note here", {{"p", ""}, {"n", "a note here"}}},
      {"x=!\"#$%&'()*+,-./0123456789:<=>?@[\\]^_`{|}~",
       {{"x", "!\"#$%&'()*+,-./0123456789:<=>?@[\\]^_`{|}~"}}},
      {"a_1=b; B2=c", {{"a_1", "b"}, {"B2", "c"}}},
      // Tag names are case-sensitive: "t" and "T" are two tags.
      {"t=y; T=s", {{"t", "y"}, {"T", "s"}}},
  };
  for (const auto& c : cases) {
    auto parsed = parse_tag_list(c.text);
    auto* error = std::get_if<std::string>(&parsed);
    ASSERT_EQ(error, nullptr) << c.text << "\n" << *error;
    EXPECT_EQ(pairs_of(std::get<TagList>(parsed)), c.tags) << c.text;
  }
}

TEST(TagList, InvalidLists) {
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"", "the record is empty"},
      {" \t ", "the record is empty"},
      {";", "the record starts with ';'"},
      {"; p=x", "the record starts with ';'"},
      {"v=DKIM1;; p=x", "empty tag (two ';' in a row)"},
      {"v=DKIM1; ; p=x", "empty tag (two ';' in a row)"},
      // RFC 6376 section 3.2: a duplicate tag invalidates the whole list.
      {"v=DKIM1; p=abc; p=def",
       "tag 'p' appears twice, which makes the whole record invalid (RFC 6376 section 3.2)"},
      {"v=DKIM1; k", "tag 'k' has no '=' (tags are name=value, separated by ';')"},
      {"garbage", "tag 'garbage' has no '=' (tags are name=value, separated by ';')"},
      {"1p=x", "tag '1p=x' does not start with a tag name (a letter)"},
      {"=x", "tag '=x' does not start with a tag name (a letter)"},
      {"google-site-verification=abc",
       "tag 'google-site-verification=abc' is not name=value (a tag name has letters, digits "
       "and '_' only)"},
      {"v=DKIM1; p x=1",
       "tag 'p x=1' is not name=value (a tag name has letters, digits and '_' "
       "only)"},
      {std::string("p=ab\0c", 6),
       "tag 'p' has '\\x00' in its value, where only printable ASCII "
       "may stand"},
      {"p=caf\xc3\xa9", "tag 'p' has '\\xc3' in its value, where only printable ASCII may stand"},
      {"v=DKIM1;\np=x", "line break '\\x0a' that is not folding white space"},
      {"v=DKIM1;\r\np=x", "line break '\\x0d' that is not folding white space"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_tag_list(c.text);
    auto* error = std::get_if<std::string>(&parsed);
    ASSERT_NE(error, nullptr) << c.text;
    EXPECT_EQ(*error, c.error) << c.text;
  }
}

TEST(TagList, NamesIgnoringCase) {
  // DMARC's ABNF: "p=none; P=reject" names p twice.
  auto parsed = parse_tag_list("v=DMARC1; p=none; P=reject", TagNames::ignore_case);
  ASSERT_TRUE(std::holds_alternative<std::string>(parsed));
  EXPECT_EQ(std::get<std::string>(parsed),
            "tag 'P' appears twice, which makes the whole record invalid (RFC 6376 section 3.2)");
  auto upper = parse_tag_list("V=DMARC1; P=reject", TagNames::ignore_case);
  const auto& list = std::get<TagList>(upper);
  ASSERT_NE(list.find("p"), nullptr);
  EXPECT_EQ(list.find("p")->value, "reject");
  auto exact = std::get<TagList>(parse_tag_list("V=DMARC1; P=reject"));
  EXPECT_EQ(exact.find("p"), nullptr);
}

TEST(TagList, BoundedNumberOfTags) {
  std::string many;
  for (std::size_t i = 0; i < max_tags; ++i)
    many += "t" + std::to_string(i) + "=x;";
  EXPECT_TRUE(std::holds_alternative<TagList>(parse_tag_list(many)));
  many += "z=1";
  auto parsed = parse_tag_list(many);
  ASSERT_TRUE(std::holds_alternative<std::string>(parsed));
  EXPECT_EQ(std::get<std::string>(parsed), "more than 64 tags: this is no key or policy record");
  // 64 KB of "a=;" (the most a TXT answer holds) is refused at once, not after n^2 work.
  std::string flood;
  for (int i = 0; i < 20000; ++i)
    flood += "a=;";
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_tag_list(flood)));
}

TEST(TagList, Helpers) {
  EXPECT_EQ(without_fws("MIGf MA0G\r\n CSqG\tSIb3"), "MIGfMA0GCSqGSIb3");
  using Views = std::vector<std::string_view>;
  EXPECT_EQ(split_tag_value("sha1 : sha256", ':'), (Views{"sha1", "sha256"}));
  EXPECT_EQ(split_tag_value("", ':'), (Views{""}));
  EXPECT_EQ(split_tag_value("a,,b", ','), (Views{"a", "", "b"}));
}

}  // namespace
}  // namespace mailprobe::protocol
