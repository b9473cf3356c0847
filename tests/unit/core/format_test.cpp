#include "core/format.hpp"

#include <gtest/gtest.h>

namespace mailprobe::core {
namespace {

TEST(Format, NumbersWithoutTrailingZerosOrExponent) {
  EXPECT_EQ(format_number(12), "12");
  EXPECT_EQ(format_number(0.012), "0.012");
  EXPECT_EQ(format_number(0.0123456789), "0.012346");
  EXPECT_EQ(format_number(-1.5), "-1.5");
  EXPECT_EQ(format_number(1e-9), "0");
  EXPECT_EQ(format_number(-1e-9), "0");
  EXPECT_EQ(format_number(1e12), "1000000000000");
  EXPECT_EQ(format_number(2.25, 1), "2.2");
}

TEST(Format, Seconds) {
  EXPECT_EQ(format_seconds(10), "10.0 s");
  EXPECT_EQ(format_seconds(0.25), "0.250 s");
}

}  // namespace
}  // namespace mailprobe::core
