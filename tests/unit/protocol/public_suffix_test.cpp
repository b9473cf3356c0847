// The Public Suffix List and the organizational domain of RFC 7489 section 3.2. The cases
// follow the list's own test vectors (publicsuffix.org, tests/test_psl.txt) on a small list
// with the rules they need, and a few on Debian's list when it is installed.

#include "protocol/public_suffix.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace mailprobe::protocol {
namespace {

// Rules as the real list writes them: comments, sections, wildcards, exceptions, U-labels,
// text after the rule on the same line.
constexpr const char* small_list = R"(// ===BEGIN ICANN DOMAINS===
com
uk
co.uk
ac
jp
ac.jp
kyoto.jp
ide.kyoto.jp
*.kobe.jp
!city.kobe.jp
*.ck
!www.ck
us
ak.us
k12.ak.us
*.mm
cn
com.cn
公司.cn
// 个人.hk is here in U-labels; xn--55qx5d.cn above must match it in A-labels
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
uk.com   trailing words after the rule are ignored
github.io
// ===END PRIVATE DOMAINS===
)";

PublicSuffixList small() {
  auto list = PublicSuffixList::parse(small_list);
  EXPECT_TRUE(list) << list.failure().message;
  return std::move(*list);
}

TEST(PublicSuffix, RegistrableDomains) {
  auto list = small();
  struct Case {
    std::string domain;
    std::optional<std::string> registrable;  // nullopt: the domain is a public suffix
  };
  const Case cases[] = {
      {"com", std::nullopt},
      {"example.com", "example.com"},
      {"b.example.com", "example.com"},
      {"a.b.example.com", "example.com"},
      {"uk.com", std::nullopt},  // a private-section rule
      {"example.uk.com", "example.uk.com"},
      {"b.example.uk.com", "example.uk.com"},
      {"test.ac", "test.ac"},
      {"mm", std::nullopt},
      {"c.mm", std::nullopt},  // *.mm
      {"b.c.mm", "b.c.mm"},
      {"a.b.c.mm", "b.c.mm"},
      {"jp", std::nullopt},
      {"test.jp", "test.jp"},
      {"www.test.jp", "test.jp"},
      {"ac.jp", std::nullopt},
      {"test.ac.jp", "test.ac.jp"},
      {"kyoto.jp", std::nullopt},
      {"test.kyoto.jp", "test.kyoto.jp"},
      {"ide.kyoto.jp", std::nullopt},
      {"b.ide.kyoto.jp", "b.ide.kyoto.jp"},
      {"a.b.ide.kyoto.jp", "b.ide.kyoto.jp"},
      {"c.kobe.jp", std::nullopt},  // *.kobe.jp
      {"b.c.kobe.jp", "b.c.kobe.jp"},
      {"city.kobe.jp", "city.kobe.jp"},  // !city.kobe.jp
      {"www.city.kobe.jp", "city.kobe.jp"},
      {"ck", std::nullopt},
      {"test.ck", std::nullopt},
      {"b.test.ck", "b.test.ck"},
      {"www.ck", "www.ck"},  // !www.ck
      {"www.www.ck", "www.ck"},
      {"us", std::nullopt},
      {"test.us", "test.us"},
      {"www.test.us", "test.us"},
      {"ak.us", std::nullopt},
      {"test.ak.us", "test.ak.us"},
      {"k12.ak.us", std::nullopt},
      {"test.k12.ak.us", "test.k12.ak.us"},
      // Names no rule covers: the implicit rule "*" (the last label).
      {"example", std::nullopt},
      {"example.example", "example.example"},
      {"b.example.example", "example.example"},
      // Case and a trailing dot do not matter.
      {"WWW.Example.COM.", "example.com"},
      // U-label rules match names in A-labels: 公司.cn is xn--55qx5d.cn.
      {"xn--55qx5d.cn", std::nullopt},
      {"shishi.xn--55qx5d.cn", "shishi.xn--55qx5d.cn"},
      {"a.shishi.xn--55qx5d.cn", "shishi.xn--55qx5d.cn"},
      {"example.github.io", "example.github.io"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(list.registrable_domain(c.domain), c.registrable) << c.domain;
  }
  EXPECT_EQ(list.public_suffix("www.city.kobe.jp"), "kobe.jp");
  EXPECT_EQ(list.public_suffix("a.b.c.kobe.jp"), "c.kobe.jp");
  EXPECT_EQ(list.public_suffix("mail.example.co.uk"), "co.uk");
  EXPECT_EQ(list.public_suffix("no-rule.example"), "example");
}

TEST(PublicSuffix, OrganizationalDomain) {
  auto list = small();
  EXPECT_EQ(list.organizational_domain("mail.example.co.uk"), "example.co.uk");
  EXPECT_EQ(list.organizational_domain("example.co.uk"), "example.co.uk");
  // A public suffix is its own organizational domain: there is nothing above it.
  EXPECT_EQ(list.organizational_domain("co.uk"), "co.uk");
  EXPECT_EQ(list.organizational_domain("a.b.example.example"), "example.example");
}

TEST(PublicSuffix, ParsesWhatTheFormatAllows) {
  auto list = small();
  EXPECT_EQ(list.size(), 21U);
  EXPECT_EQ(list.skipped(), 0U);
  // A wildcard that is not the leftmost label is no rule of the format.
  auto odd = PublicSuffixList::parse("com\nfoo.*.bar\n");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->size(), 1U);
  EXPECT_EQ(odd->skipped(), 1U);
  auto empty = PublicSuffixList::parse("// only a comment\n\n", "the file /x.dat");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.failure().message,
            "the file /x.dat has no rules: it is not the public suffix list (publicsuffix.org)");
}

TEST(PublicSuffix, LoadsFiles) {
  auto missing = load_public_suffix_list("/nonexistent/public_suffix_list.dat");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.failure().kind, core::FailureKind::config);
  EXPECT_EQ(missing.failure().message,
            "cannot read the public suffix list /nonexistent/public_suffix_list.dat: No such file "
            "or directory");
  auto directory = load_public_suffix_list("/");
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.failure().message, "cannot read the public suffix list /: Is a directory");

  auto dir = std::filesystem::temp_directory_path() / "mailprobe_psl_test";
  std::filesystem::create_directories(dir);
  auto path = (dir / "list.dat").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << small_list;
  }
  auto loaded = load_public_suffix_list(path);
  ASSERT_TRUE(loaded) << loaded.failure().message;
  EXPECT_EQ(loaded->organizational_domain("x.y.example.co.uk"), "example.co.uk");
  {
    std::ofstream out(path, std::ios::binary);
    std::string line = "// " + std::string(1023, 'x') + "\n";
    for (std::size_t i = 0; i <= max_public_suffix_bytes / line.size(); ++i)
      out << line;
  }
  auto huge = load_public_suffix_list(path);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.failure().message,
            "the public suffix list " + path + " is over 8 MiB: not the list");
  std::filesystem::remove_all(dir);
}

TEST(PublicSuffix, DebiansList) {
  std::string path(default_public_suffix_file);
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is not installed";
  auto list = load_public_suffix_list(path);
  ASSERT_TRUE(list) << list.failure().message;
  EXPECT_GT(list->size(), 5000U);
  EXPECT_EQ(list->organizational_domain("mail.example.co.uk"), "example.co.uk");
  EXPECT_EQ(list->organizational_domain("a.b.example.com"), "example.com");
  EXPECT_EQ(list->organizational_domain("www.city.kobe.jp"), "city.kobe.jp");
  EXPECT_EQ(list->organizational_domain("foo.example.github.io"), "example.github.io");
  // 公司.cn (xn--55qx5d.cn) is a U-label rule of the ICANN section.
  EXPECT_EQ(list->organizational_domain("mail.shishi.xn--55qx5d.cn"), "shishi.xn--55qx5d.cn");
  // The DNS lab's names: the real list knows no rule for them.
  EXPECT_EQ(list->organizational_domain("a.b.lab.mailprobe-lab"), "lab.mailprobe-lab");
}

}  // namespace
}  // namespace mailprobe::protocol
