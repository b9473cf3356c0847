#include "core/range.hpp"

#include <gtest/gtest.h>

namespace mailprobe::core {
namespace {

Range parsed(std::string_view text) {
  auto result = Range::parse(text);
  if (auto* error = std::get_if<std::string>(&result)) ADD_FAILURE() << *error;
  return std::get<Range>(result);
}

std::string error_of(std::string_view text) {
  auto result = Range::parse(text);
  if (auto* error = std::get_if<std::string>(&result)) return *error;
  ADD_FAILURE() << "'" << text << "' parsed but should not";
  return {};
}

struct RangeCase {
  const char* range;
  double value;
  bool alerts;
};

class RangeTable : public ::testing::TestWithParam<RangeCase> {};

TEST_P(RangeTable, AlertsAsTheGuidelinesSay) {
  const auto& c = GetParam();
  EXPECT_EQ(parsed(c.range).alerts(c.value), c.alerts) << c.range << " with " << c.value;
}

// The table of the monitoring-plugins development guidelines, plus edges, decimals and
// negative numbers.
INSTANTIATE_TEST_SUITE_P(
    Guidelines, RangeTable,
    ::testing::Values(
        RangeCase{"10", -1, true}, RangeCase{"10", 0, false}, RangeCase{"10", 10, false},
        RangeCase{"10", 10.001, true}, RangeCase{"10:", 9.99, true}, RangeCase{"10:", 10, false},
        RangeCase{"10:", 1e9, false}, RangeCase{"~:10", -1e9, false}, RangeCase{"~:10", 10, false},
        RangeCase{"~:10", 11, true}, RangeCase{"10:20", 9, true}, RangeCase{"10:20", 10, false},
        RangeCase{"10:20", 20, false}, RangeCase{"10:20", 21, true}, RangeCase{"@10:20", 9, false},
        RangeCase{"@10:20", 10, true}, RangeCase{"@10:20", 20, true},
        RangeCase{"@10:20", 21, false}, RangeCase{"0.5:1.5", 0.4, true},
        RangeCase{"0.5:1.5", 1.5, false}, RangeCase{"-10:-5", -7, false},
        RangeCase{"-10:-5", -4, true}, RangeCase{"~:-1.5", -1.6, false},
        RangeCase{"~:-1.5", -1.4, true}, RangeCase{"@~:0", -3, true}, RangeCase{"@5", 3, true},
        RangeCase{"+5", 6, true}, RangeCase{"~:", 1e12, false}));

TEST(Range, KeepsTheTextForPerfdata) {
  EXPECT_EQ(parsed("@10:20").text(), "@10:20");
  EXPECT_EQ(parsed("~:0.5").text(), "~:0.5");
  EXPECT_EQ(Range::upper(2.5).text(), "2.5");
}

TEST(Range, RejectsBadRangesWithAReason) {
  EXPECT_EQ(error_of("20:10"), "range '20:10': start 20 is greater than end 10");
  EXPECT_EQ(error_of(""), "range '': empty");
  EXPECT_EQ(error_of("abc"), "range 'abc': end 'abc' is not a number");
  EXPECT_EQ(error_of("x:10"), "range 'x:10': start 'x' is not a number");
  EXPECT_EQ(error_of("10:2x"), "range '10:2x': end '2x' is not a number");
  EXPECT_EQ(error_of("@"), "range '@': no end value");
  EXPECT_EQ(error_of("inf"), "range 'inf': end 'inf' is not a number");
  EXPECT_EQ(error_of("nan:"), "range 'nan:': start 'nan' is not a number");
  EXPECT_EQ(error_of("1e3"), "range '1e3': end '1e3' is not a number");
}

TEST(Thresholds, CriticalWinsOverWarning) {
  auto parsed_thresholds = Thresholds::parse("1", "2");
  ASSERT_TRUE(std::holds_alternative<Thresholds>(parsed_thresholds));
  auto t = std::get<Thresholds>(parsed_thresholds);
  EXPECT_EQ(t.evaluate(0.5), State::ok);
  EXPECT_EQ(t.evaluate(1.5), State::warning);
  EXPECT_EQ(t.evaluate(2.5), State::critical);
}

TEST(Thresholds, EmptyMeansNone) {
  auto t = std::get<Thresholds>(Thresholds::parse("", ""));
  EXPECT_FALSE(t.warning);
  EXPECT_FALSE(t.critical);
  EXPECT_EQ(t.evaluate(1e9), State::ok);
}

TEST(Thresholds, ErrorNamesWhichThreshold) {
  auto result = Thresholds::parse("5", "3:1");
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_EQ(std::get<std::string>(result), "critical range '3:1': start 3 is greater than end 1");
}

}  // namespace
}  // namespace mailprobe::core
