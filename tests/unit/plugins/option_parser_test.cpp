// Numeric options have ranges: a value outside is one error naming the option and the range,
// never a number that overflows when it becomes a deadline or a size.

#include "plugins/option_parser.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mailprobe::plugins
