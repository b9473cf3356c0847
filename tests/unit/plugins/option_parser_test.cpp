// Numeric options have ranges: a value outside is one error naming the option and the range,
// never a number that overflows when it becomes a deadline or a size.

#include "plugins/option_parser.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace mailprobe::plugins {
namespace {

struct Parsed {
  OptionParser::Result result;
  std::string error;
};

Parsed parse(OptionParser& parser, std::vector<const char*> args) {
  args.insert(args.begin(), "check_test");
  auto result = parser.parse(static_cast<int>(args.size()), args.data());
  return {result, parser.error()};
}

TEST(OptionRanges, ValuesOutsideTheRangeNameTheOptionAndTheRange) {
  struct Case {
    std::vector<const char*> args;
    std::string error;
  };
  const Case cases[] = {
      {{"-t", "99999999999999999999999"},
       "-t: '99999999999999999999999' is out of range (from 0.001 to 86400)"},
      {{"--timeout", "0"}, "-t: '0' is out of range (from 0.001 to 86400)"},
      {{"-p", "70000"}, "-p: '70000' is out of range (from 1 to 65535)"},
      {{"-p", "99999999999999999999"},
       "-p: '99999999999999999999' is out of range (from 1 to 65535)"},
      {{"-p", "x"}, "-p: 'x' is not a whole number"},
      {{"-m", "-1"}, "-m: '-1' is out of range (from 0 to 1000)"},
  };
  for (const auto& c : cases) {
    OptionParser parser("check_test", "a test");
    double timeout = 10;
    int port = 0;
    long bytes = 0;
    parser.value("-t,--timeout", timeout, "seconds", ranges::timeout);
    parser.value("-p,--port", port, "port", ranges::port);
    parser.value("-m", bytes, "bytes", {0, 1000});
    auto parsed = parse(parser, c.args);
    EXPECT_EQ(parsed.result, OptionParser::Result::error) << c.args[1];
    EXPECT_EQ(parsed.error, c.error);
    EXPECT_EQ(timeout, 10);  // left as it was
    EXPECT_EQ(port, 0);
  }
}

TEST(OptionRanges, BothEndsAreIncluded) {
  OptionParser parser("check_test", "a test");
  double timeout = 10;
  int port = 0;
  parser.value("-t,--timeout", timeout, "seconds", ranges::timeout);
  parser.value("-p,--port", port, "port", ranges::port);
  auto parsed = parse(parser, {"-t", "86400", "-p", "65535"});
  EXPECT_EQ(parsed.result, OptionParser::Result::run) << parsed.error;
  EXPECT_EQ(timeout, 86400);
  EXPECT_EQ(port, 65535);
}

// --extra-opts: an ini section read as if its options came first on the command line.
class ExtraOpts : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = ::testing::TempDir() + "extra-opts-" + std::to_string(getpid()) + ".ini";
  }
  void TearDown() override { std::remove(file_.c_str()); }
  void write(const std::string& text) { std::ofstream(file_, std::ios::binary) << text; }
  // A parser like a plugin's: -H, --port, --authpass, -S, -v.
  Parsed run(std::vector<std::string> args) {
    parser_ = std::make_unique<OptionParser>("check_test", "test");
    host_.clear();
    port_ = 25;
    password_.clear();
    starttls_ = false;
    verbose_ = 0;
    parser_->value("-H,--hostname", host_, "host");
    parser_->value("-p,--port", port_, "port", ranges::port);
    parser_->value("--authpass", password_, "password");
    parser_->flag("-S,--starttls", starttls_, "STARTTLS");
    parser_->counter("-v,--verbose", verbose_, "more");
    std::vector<const char*> argv;
    for (const auto& a : args)
      argv.push_back(a.c_str());
    return parse(*parser_, argv);
  }

  std::string file_;
  std::unique_ptr<OptionParser> parser_;
  std::string host_;
  int port_ = 25;
  std::string password_;
  bool starttls_ = false;
  int verbose_ = 0;
};

TEST_F(ExtraOpts, TheSectionOfThePluginComesFirstAndTheCommandLineWins) {
  write(
      "# shared options\n[check_test]\nH = mail.example.org\nport=587\nauthpass=se#cret; x\n"
      "starttls=\n\n[other]\nH=other.example.org\n");
  auto parsed = run({"--extra-opts=@" + file_});
  ASSERT_EQ(parsed.result, OptionParser::Result::run) << parsed.error;
  EXPECT_EQ(host_, "mail.example.org");
  EXPECT_EQ(port_, 587);
  EXPECT_EQ(password_, "se#cret; x");  // taken as it is: a password may hold '#'
  EXPECT_TRUE(starttls_);
  parsed = run({"-p", "2525", "--extra-opts=@" + file_});
  ASSERT_EQ(parsed.result, OptionParser::Result::run) << parsed.error;
  EXPECT_EQ(port_, 2525);
  parsed = run({"--extra-opts=other@" + file_, "-v"});
  ASSERT_EQ(parsed.result, OptionParser::Result::run) << parsed.error;
  EXPECT_EQ(host_, "other.example.org");
  EXPECT_EQ(verbose_, 1);
  // As monitoring-plugins takes it too: the locator as the next argument.
  parsed = run({"--extra-opts", "other@" + file_});
  ASSERT_EQ(parsed.result, OptionParser::Result::run) << parsed.error;
  EXPECT_EQ(host_, "other.example.org");
  setenv("MP_CONFIG_FILE", file_.c_str(), 1);
  parsed = run({"--extra-opts"});
  unsetenv("MP_CONFIG_FILE");
  ASSERT_EQ(parsed.result, OptionParser::Result::run) << parsed.error;
  EXPECT_EQ(host_, "mail.example.org");
}

TEST_F(ExtraOpts, BadFilesAreOneLineNamingFileAndLine) {
  struct Case {
    std::string text;
    std::string locator;
    std::string error;
  };
  const Case cases[] = {
      {"[check_test]\nH=x\n", "nope@", "no [nope] section in FILE"},
      {"[check_test]\ngarbage\n", "@", "FILE line 2: 'garbage' is not KEY=VALUE"},
      {"H=x\n[check_test]\n", "@", "FILE line 1: an option before any [section]"},
      {"[check_test]\nnope=1\n", "@", "FILE line 2: unknown option 'nope'"},
      {"[check_test]\nport=\n", "@", "FILE line 2: --port needs a value"},
      {"[check_test]\nS=yes\n", "@", "FILE line 2: -S takes no value (write 'S=')"},
      {"[check_test]\nport=99999\n", "@", "-p: '99999' is out of range"},
      {"[check_test\nH=x\n", "@", "FILE line 1: '[check_test' is not a [section]"},
      {"[check_test]\n" + std::string(1024 * 1024, '#') + "\n", "@", "FILE is over 1 MiB"},
  };
  for (const auto& c : cases) {
    write(c.text);
    auto parsed = run({"--extra-opts=" + c.locator + file_});
    auto expected = c.error;
    if (auto at = expected.find("FILE"); at != std::string::npos) expected.replace(at, 4, file_);
    EXPECT_EQ(parsed.result, OptionParser::Result::error) << c.text.substr(0, 40);
    EXPECT_NE(parsed.error.find(expected), std::string::npos) << parsed.error;
  }
  auto missing = run({"--extra-opts=@/nonexistent/mailprobe.ini"});
  EXPECT_EQ(missing.error,
            "--extra-opts: cannot read /nonexistent/mailprobe.ini: No such file or directory");
  // After "--" it is an operand, not an option.
  write("[check_test]\nH=x\n");
  auto operand = run({"--", "--extra-opts=@" + file_});
  EXPECT_EQ(operand.result, OptionParser::Result::error);
  EXPECT_EQ(operand.error, "unexpected argument '--extra-opts=@" + file_ + "'");
}

}  // namespace
}  // namespace mailprobe::plugins
