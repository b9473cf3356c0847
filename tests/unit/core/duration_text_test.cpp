#include "core/duration_text.hpp"

#include <gtest/gtest.h>

namespace mailprobe::core {
namespace {

using std::chrono::milliseconds;

TEST(DurationText, Units) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("30d"), milliseconds(2'592'000'000));
  EXPECT_EQ(parse_duration("2w"), milliseconds(1'209'600'000));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("45"), milliseconds(45'000));  // plain seconds
}

TEST(DurationText, Rejects) {
  for (const char* bad : {"", "s", "-5s", "5 m", "5x", "five minutes", "1e400s", "m5"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

// A finite value past the range of long long used to come back from llround as LLONG_MIN:
// a negative retention that overflowed the history's pruning.
TEST(DurationText, LongerThanAHundredYearsIsRefusedNotNegative) {
  EXPECT_FALSE(parse_duration("99999999999999999999999d").has_value());
  EXPECT_FALSE(parse_duration("36501d").has_value());
  EXPECT_EQ(parse_duration("36500d"), max_duration);
  EXPECT_GT(duration_milliseconds("99999999999999999999999d").value_or(0), 8e30);
  EXPECT_FALSE(duration_milliseconds("-1s").has_value());
}

TEST(DurationText, Formats) {
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration(milliseconds(1'200'000)), "20m");
  EXPECT_EQ(format_duration(milliseconds(5'400'000)), "1h30m");
  EXPECT_EQ(format_duration(milliseconds(90'061'000)), "1d1h1m1s");
}

}  // namespace
}  // namespace mailprobe::core
