// OpenSSL loaded on demand (cmake/openssl_on_demand.cmake): a function's first call goes
// through the trampoline's binding path, which must hand over every argument as the caller
// passed it: integer registers, the stack, %xmm registers and %al of a variadic call.

#include <gtest/gtest.h>
#include <openssl/bio.h>

#include <string>

namespace {

// BIO_snprintf is called nowhere else in mailprobe, so this is its first call in the test
// process: nine arguments (three of them on the stack), a double in %xmm0 and %al = 1.
TEST(OpensslOnDemand, FirstCallKeepsEveryArgument) {
  char text[64] = {};
  int length =
      BIO_snprintf(text, sizeof text, "%d %d %d %d %.2f %s %ld", 1, 2, 3, 4, 2.75, "five", 6L);
  EXPECT_EQ(std::string(text), "1 2 3 4 2.75 five 6");
  EXPECT_EQ(length, 19);
  // The second call jumps straight through the filled slot.
  length = BIO_snprintf(text, sizeof text, "%s=%.1f", "x", -0.5);
  EXPECT_EQ(std::string(text), "x=-0.5");
  EXPECT_EQ(length, 6);
}

}  // namespace
